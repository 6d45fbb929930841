"""The key format: shape, checksum, masking, digest, derivation."""

import re
import zlib

import pytest

from payground.core import keys

SCANNER_RULE = re.compile(r"\b(sk|rk)_(test|live)_[0-9a-zA-Z]{10,99}\b")  # gitleaks-style


@pytest.mark.parametrize("kind", ["secret", "publishable", "restricted"])
@pytest.mark.parametrize("livemode", [False, True])
def test_generated_keys_match_the_contract(kind, livemode):
    key = keys.generate(kind, livemode)
    assert keys.KEY_PATTERN.match(key)
    assert key.startswith(f"{keys.KIND_PREFIX[kind]}_{'live' if livemode else 'test'}_")
    assert keys.parse(key) == keys.ParsedKey(kind=kind, livemode=livemode)


def test_checksum_is_crc32_base62_left_padded():
    body = "sk_test_" + "A" * 32
    expected = keys.base62(zlib.crc32(body.encode())).rjust(6, "0")
    assert keys.checksum(body) == expected
    assert len(expected) == 6
    assert keys.with_checksum("sk_test_", "A" * 32) == body + expected


def test_base62():
    assert keys.base62(0) == "0"
    assert keys.base62(61) == "z"
    assert keys.base62(62) == "10"


def test_one_changed_character_fails_the_checksum():
    key = keys.generate("secret", False)
    i = 20
    other = "B" if key[i] != "B" else "C"
    tampered = key[:i] + other + key[i + 1:]
    assert keys.parse(tampered) is None


@pytest.mark.parametrize("bad", [
    "", "sk_test_", "sk_test_abc", "xk_test_" + "a" * 38, "sk_prod_" + "a" * 38,
    "sk_test_" + "a" * 37, "sk_test_" + "a" * 39, "sk_test_" + "-" * 38,
])
def test_malformed_keys_do_not_parse(bad):
    assert keys.parse(bad) is None


def test_secret_keys_are_found_by_scanner_rules():
    key = keys.generate("secret", True)
    assert SCANNER_RULE.search(f"STRIPE_KEY={key}\n")


def test_mask_shows_first_8_and_last_4():
    key = keys.generate("secret", False)
    masked = keys.mask(key)
    assert masked == key[:8] + "*" * 34 + key[-4:]
    assert len(masked) == len(key)


def test_redact_display_form():
    assert keys.redact("sk_test_", "Ab12") == "sk_test_...Ab12"


def test_digest_depends_on_pepper_and_is_not_the_key():
    key = keys.generate("secret", False)
    one, two = keys.digest("pepper-1", key), keys.digest("pepper-2", key)
    assert one != two and len(one) == 64 and key not in one


def test_derived_keys_are_stable_valid_and_pepper_bound():
    one = keys.derive("publishable", False, "pepper", "key_abc")
    assert one == keys.derive("publishable", False, "pepper", "key_abc")
    assert one != keys.derive("publishable", False, "other pepper", "key_abc")
    assert keys.parse(one) == keys.ParsedKey(kind="publishable", livemode=False)


def test_scrub_masks_every_key_like_string():
    key = keys.generate("restricted", True)
    text = f"GET /v1/charges?key={key} and broken sk_test_abc"
    scrubbed = keys.scrub(text)
    assert key not in scrubbed
    assert keys.mask(key) in scrubbed
    assert "sk_test_abc" not in scrubbed


def test_scrub_masks_webhook_signing_secrets_too():
    from payground.core.webhooks import endpoint_secret

    secret = endpoint_secret("pepper", "we_1")
    scrubbed = keys.scrub(f"/v1/customers/{secret} whsec_(derived again) whsec_ab")
    assert scrubbed == (f"/v1/customers/whsec_{'*' * 28}{secret[-4:]} whsec_(derived again) "
                        "wh******")


def test_secret_in_finds_a_secret_or_restricted_key_anywhere_in_a_text():
    secret, restricted = keys.generate("secret", False), keys.generate("restricted", True)
    assert keys.secret_in(f"note: {secret}.") == secret
    assert keys.secret_in(f"x{restricted}trailing") == restricted  # glued to other text
    assert keys.secret_in(f"{keys.generate('publishable', True)} is public") is None
    assert keys.secret_in(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert keys.secret_in("sk_test_short and no key at all") is None


@pytest.mark.parametrize("disguise", [
    lambda k: k.replace("_", "%5F"), lambda k: k.replace("_", "%5f"),
    lambda k: "%73" + k[1:], lambda k: "".join(f"%{ord(c):02X}" for c in k),
    lambda k: k.replace("_", "%255F"), lambda k: k.replace("_", "%25255F"),
    lambda k: k.replace("_", "%" + "25" * 40 + "5F"),  # far past DECODE_ROUNDS
    lambda k: k[:10] + "\ufffd" + k[10:], lambda k: k[:10] + "%00" + k[10:],
    lambda k: k[:10] + "\xff" + k[10:], lambda k: k[:10] + "\u200b" + k[10:],
    # An escape's own digit escaped (%%35F is %5F once decoded), or an escape split by a
    # character the reading drops: what unveiled finds, scrub masks.
    lambda k: k.replace("_", "%%35F"), lambda k: k.replace("_", "%5%46"),
    lambda k: k.replace("_", "%5\u200bF")])
def test_scrub_masks_a_key_however_it_is_encoded_or_split(disguise):
    key = keys.generate("secret", True)
    assert keys.scrub(f"GET /v1/customers/{disguise(key)} (retry)") == (
        f"GET /v1/customers/{keys.mask(key)} (retry)")
    assert keys.unveiled(disguise(key)) == key


def test_scrub_leaves_escapes_without_a_key_as_they_are():
    for text in ("/v1/customers?email=a%40b.c&expand%5B%5D=x", "caf\xe9 %ZZ 100%", "a\tb\nc"):
        assert keys.scrub(text) == text
    assert keys.scrub("?k=sk%5Ftest%5Fbroken") == "?k=" + keys.mask("sk_test_broken")


def test_scrub_keeps_what_it_decodes_next_to_a_key_fit_for_a_header():
    key = keys.generate("restricted", False)
    assert keys.scrub("%E2%82%AC" + key.replace("_", "%5F")) == "%E2%82%AC" + keys.mask(key)
    assert keys.scrub("%E2%82%AC%5F" + key) == "%E2%82%AC_" + keys.mask(key)


def test_scrub_start_reads_only_the_start_of_a_long_text():
    key = keys.generate("secret", False)
    text = "x" * 90 + key.replace("_", "%255F") + "%41" * 100_000
    assert keys.scrub_start(text, 100) == ("x" * 90 + keys.mask(key))[:100]
    assert keys.scrub_start("short %41", 100) == "short %41"
