"""core.scanning: what `payground scan` counts as a key, and where it says it is."""

from __future__ import annotations

import secrets

import pytest

from payground.core import keys, scanning
from payground.core.webhooks import endpoint_secret


def stripe_shaped(mode: str = "live") -> str:
    """A secret key shaped like Stripe's own (``sk_live_51`` + 97 characters), made now:
    no key, not even a fake one, is kept in the repository."""
    return f"sk_{mode}_51" + "".join(secrets.choice(keys.BASE62) for _ in range(97))


STRIPE_LIVE = stripe_shaped()


def test_payground_keys_by_kind_and_mode_with_line_and_column():
    secret, restricted = keys.generate("secret", False), keys.generate("restricted", True)
    publishable = keys.generate("publishable", False)
    text = f"a = '{secret}'\n\n  b={restricted} c={publishable}\n"
    finds = scanning.find_keys(text)
    assert [(f.kind, f.livemode, f.line, f.column, f.value) for f in finds] == [
        ("secret", False, 1, 6, secret), ("restricted", True, 3, 5, restricted),
        ("publishable", False, 3, 54, publishable)]
    assert [f.leaks for f in finds] == [True, True, False]
    assert finds[0].display == f"sk_test_...{secret[-4:]}"
    assert scanning.describe(finds[1]) == "live restricted key"


def test_a_broken_checksum_or_a_placeholder_is_not_a_key():
    key = keys.generate("secret", True)
    typo = key[:20] + ("A" if key[20] != "A" else "B") + key[21:]
    assert keys.parse(typo) is None
    samples = [typo, "sk_test_123", "sk_test_" + "X" * 24, "sk_live_abcabcabcabcabcabcabcabc",
               "sk_test_your_key_here", "pk_live_" + "a1B2c3D4e5" * 3, "whsec_123",
               "whsec_" + "a" * 33, "tsk_test_" + key[8:]]
    assert scanning.find_keys("\n".join(samples)) == []


def test_other_stripe_shaped_secrets_and_webhook_secrets():
    whsec = endpoint_secret("pepper", "we_123")
    finds = scanning.find_keys(f"STRIPE={STRIPE_LIVE}\nrk_test_{'Qw3rTy8Zx' * 3}\n{whsec}")
    assert [(f.kind, f.livemode, f.line) for f in finds] == [
        ("stripe", True, 1), ("stripe", False, 2), ("webhook_secret", None, 3)]
    assert scanning.describe(finds[0]) == ("live secret key not issued by Payground "
                                           "(a real Stripe key?)")
    assert scanning.describe(finds[1]) == ("test restricted key not issued by Payground "
                                           "(a real Stripe key?)")
    assert scanning.describe(finds[2]) == "webhook signing secret"
    assert [f.display for f in finds] == [f"sk_live_...{STRIPE_LIVE[-4:]}", "rk_test_...y8Zx",
                                          f"whsec_...{whsec[-4:]}"]


def test_a_key_run_on_into_more_characters_is_read_whole():
    key = keys.generate("secret", False)
    (find,) = scanning.find_keys(key + "Zq9")  # 41 characters: not this key, maybe Stripe's
    assert (find.kind, find.value) == ("stripe", key + "Zq9")


@pytest.mark.parametrize("line", ['token = "{key}"  # payground-scan:allow',
                                  "# payground-scan:allow {key}"])
def test_the_allow_mark_silences_its_own_line_only(line):
    key = keys.generate("secret", False)
    text = line.format(key=key) + f"\nother = '{key}'"
    assert [(f.line, f.value) for f in scanning.find_keys(text)] == [(2, key)]


def test_keys_glued_to_other_text():
    """A Payground key is found wherever it is (its checksum proves it): after URL or string
    escapes, or glued to a word. A Stripe-shaped string glued to a word is the tail of an
    identifier, unless an escape comes right before it."""
    key = keys.generate("secret", False)
    for text in (f"x{key}", f"?k%3D{key}", f'"line1\\n{key}"', f"\\u0022{key}"):
        assert [f.value for f in scanning.find_keys(text)] == [key], text
    assert [f.column for f in scanning.find_keys("_" + key + "_")] == [2]
    stripe_tail = STRIPE_LIVE[8:]
    assert scanning.find_keys(f"task_live_{stripe_tail}") == []
    assert [f.kind for f in scanning.find_keys(f"?k%3D{STRIPE_LIVE}")] == ["stripe"]


def test_a_marked_line_of_many_keys_is_left_out_whole():
    key = keys.generate("secret", False)
    line = (" " + key) * 20_000 + "  # payground-scan:allow"
    assert scanning.find_keys(line + "\n" + key) == scanning.find_keys("\n" + key)


def test_keys_from_stripe_docs_are_public():
    docs = sorted(scanning.STRIPE_DOCS_KEYS)
    finds = scanning.find_keys(" ".join(f"'{key}'" for key in docs))
    assert [(f.kind, f.livemode, f.leaks, f.value) for f in finds] == [
        ("stripe_docs", False, False, key) for key in docs]
    assert scanning.describe(finds[0]) == "test secret key from Stripe's documentation"
    assert [f.kind for f in scanning.find_keys(f"x{docs[0]}")] == []  # the tail of a word
