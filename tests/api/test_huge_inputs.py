"""A whole body (256 KiB), a 64 KiB URL or a long header, sent where a short name or value
goes: Stripe's error comes back, and masking keys in it reads no more than the answer shows.

Masking (``core.keys.scrub``) decodes escapes up to eight times over to find a disguised key:
tens of milliseconds for a whole body of escapes, done once or twice per answer that echoed
it (a parameter's name, a metadata key, a value's start, an id, the ``Stripe-Account``
header). The spy below records how much text is read for disguised keys, which a clock
could only guess at.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from payground import messages
from payground.core import keys
from payground.http import schemas
from tests.conftest import assert_error

# Escaped eight times over: decoding has work in every round, on every character.
DEEP = "%" + "25" * 7 + "41"
HUGE = DEEP * (250 * 1024 // len(DEEP))  # a body's worth, in a JSON body under the limit
READ_AT_MOST = 8000  # a message (5000 at most) and room for a disguised key at its end


@pytest.fixture
def unveiled_lengths(monkeypatch) -> list[int]:
    """The length of each text read for disguised keys while the test runs."""
    seen: list[int] = []
    real = keys.unveiled

    def spy(text: str) -> str:
        seen.append(len(text))
        return real(text)

    monkeypatch.setattr(keys, "unveiled", spy)
    monkeypatch.setattr(schemas, "unveiled", spy)
    return seen


def test_a_whole_body_as_a_parameter_name_is_cut_in_the_answer(account, unveiled_lengths):
    r = account.client.post("/v1/customers", json={HUGE: "1"}, headers=account.auth())

    shown = HUGE[:497] + "..."
    assert_error(r, 400, code="parameter_unknown", param=shown,
                 message=messages.PARAMETER_UNKNOWN.format(param=shown))
    assert max(unveiled_lengths) <= READ_AT_MOST


def test_a_whole_body_as_a_metadata_key_is_too_long_and_read_no_further(account,
                                                                         unveiled_lengths):
    r = account.client.post("/v1/customers", json={"metadata": {HUGE: "1"}},
                            headers=account.auth())

    assert_error(r, 400, param="metadata", message=(
        f"Invalid metadata: keys can be at most 40 characters long; {HUGE[:57]}... is "
        f"{len(HUGE)}."))
    assert max(unveiled_lengths) <= READ_AT_MOST
    assert account.get("/v1/customers").get_json()["data"] == []


def test_a_key_pasted_as_a_metadata_key_is_still_named_a_secret(account):
    r = account.post("/v1/customers", {f"metadata[{account.secret_key}]": "1"})

    assert_error(r, 400, code="parameter_invalid_string", param="metadata",
                 message=messages.SECRET_IN_VALUE.replace("{param}", "metadata"))


@pytest.mark.parametrize("value", [HUGE, {"a": HUGE}, [HUGE]])
def test_a_whole_body_as_a_value_is_echoed_by_its_start_only(account, unveiled_lengths,
                                                             value):
    r = account.client.post("/v1/customers", json={"description": value},
                            headers=account.auth())

    if isinstance(value, str):
        message = f"Invalid string: {HUGE[:57]}...; must be at most 5000 characters"
    else:
        message = f"Invalid string: {repr(value)[:57]}..."
    assert_error(r, 400, code="parameter_invalid_string", param="description",
                 message=message)
    assert max(unveiled_lengths) <= READ_AT_MOST


def test_a_64_kib_id_in_the_path_is_read_whole_once_and_cut_in_the_answer(account,
                                                                           unveiled_lengths):
    object_id = DEEP * (64 * 1024 // len(DEEP))
    r = account.get(f"/v1/customers/{quote(object_id)}")

    assert_error(r, 404, code="resource_missing", param="id", message=messages.NO_SUCH.format(
        noun="customer", id=object_id)[:4997] + "...")
    # The check for a key in the URL reads all of it, once; nothing else reads it whole.
    assert len([n for n in unveiled_lengths if n > READ_AT_MOST]) == 1
    entry = account.client.get(f"/sandbox/requests/{r.headers['Request-Id']}",
                               headers=account.session_auth).get_json()
    assert entry["path"] == f"/v1/customers/{object_id}"[:1024]


def test_a_long_stripe_account_header_is_read_by_its_start_only(account, unveiled_lengths):
    wanted = DEEP * (128 * 1024 // len(DEEP))
    r = account.get("/v1/customers", headers={"Stripe-Account": wanted})

    assert_error(r, 403, code="account_invalid", message=messages.ACCOUNT_NOT_ACCESSIBLE.format(
        masked=keys.mask(account.secret_key), account=wanted[:100]))
    assert max(unveiled_lengths) <= READ_AT_MOST
