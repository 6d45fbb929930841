"""The test/live toggle, live-mode activation (with Faker sample data) and the clock page."""

from __future__ import annotations

import re

import pytest

from payground import messages
from payground.core import keys
from tests.dashboard.conftest import shown_secrets, text, v1


def field_value(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="text" value="([^"]*)"', page).group(1)


def test_the_toggle_is_on_every_page(app, dash, signed_in):
    # But the consent page, in its application's mode (tests/dashboard/test_oauth_consent.py).
    for rule in app.url_map.iter_rules():
        if (rule.endpoint.startswith("dashboard.") and "GET" in rule.methods
                and not rule.arguments and rule.endpoint not in (
                    "dashboard.login", "dashboard.signup", "dashboard.home",
                    "dashboard.oauth_consent")):
            page = text(dash.get(rule.rule))
            assert 'action="/dashboard/mode"' in page, rule.rule
            assert '<button type="submit" name="mode" value="test" aria-pressed="true">' in page


def test_live_needs_activation_first(dash, signed_in):
    r = dash.post("/dashboard/mode", {"mode": "live", "next": "/dashboard/charges"})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/activate"
    assert "Activate live mode" in text(dash.get("/dashboard/keys"))
    # A live cookie set by hand changes nothing while live mode is off.
    dash.client.set_cookie("payground_mode", "live", path="/dashboard")
    assert "Test mode: nothing here moves real money." in text(dash.get("/dashboard/keys"))


@pytest.mark.parametrize("next_path, location", [
    ("/dashboard/requests", "/dashboard/requests"),
    ("/dashboard/../v1/customers", "/dashboard/keys"),
    ("/dashboard/%2E%2e/sandbox/requests", "/dashboard/keys"),
])
def test_the_toggle_stays_on_the_dashboard(dash, signed_in, next_path, location):
    r = dash.post("/dashboard/mode", {"mode": "test", "next": next_path})
    assert r.status_code == 303 and r.headers["Location"] == location


def test_sample_data_comes_from_faker(dash, signed_in):
    page = text(dash.get("/dashboard/activate?sample=1"))
    assert field_value(page, "country") == "US"
    assert field_value(page, "business_name")
    assert re.fullmatch(r"\d{9}", field_value(page, "routing_number"))
    assert re.fullmatch(r"\d{12}", field_value(page, "account_number"))
    again = text(dash.get("/dashboard/activate?sample=1"))
    assert field_value(again, "account_number") != field_value(page, "account_number")


def test_activation_shows_the_live_keys_once_and_switches_to_live(dash, signed_in, client):
    r = dash.post("/dashboard/activate", {"business_name": "Ada's Bikes", "country": "gb",
                                          "routing_number": "021000021",
                                          "account_number": "000123456789"})
    assert r.status_code == 200
    live_secret, live_publishable = shown_secrets(r)
    assert keys.parse(live_secret) == keys.ParsedKey("secret", True)
    assert keys.parse(live_publishable) == keys.ParsedKey("publishable", True)
    assert "payground_mode=live" in " ".join(r.headers.getlist("Set-Cookie"))
    assert v1(client, "/v1/customers", live_secret, method="post").get_json()["livemode"] is True
    page = text(dash.get("/dashboard/keys"))
    assert "Test mode: nothing here moves real money." not in page
    assert f"sk_live_...{live_secret[-4:]}" in page
    assert f"sk_test_...{signed_in.secret_key[-4:]}" not in page  # the live page lists live keys
    settings = text(dash.get("/dashboard/activate"))
    assert "Live mode is activated for <strong>Ada's Bikes</strong> (GB)" in settings
    assert "ending in <strong>6789</strong>" in settings
    # Back to test.
    r = dash.post("/dashboard/mode", {"mode": "test", "next": "/dashboard/requests"})
    assert r.headers["Location"] == "/dashboard/requests"
    assert f"sk_test_...{signed_in.secret_key[-4:]}" in text(dash.get("/dashboard/keys"))
    r = dash.post("/dashboard/activate", {})
    assert r.status_code == 400
    # The page's own wording: the keys page, not the API calls the API's answer names.
    assert ("Live mode is already activated for this account. Roll or create live keys from "
            "the API keys page.") in text(r)
    assert "/sandbox/keys" not in text(r)


def test_activation_with_empty_fields_uses_sample_data(dash, signed_in):
    r = dash.post("/dashboard/activate", {"business_name": "", "country": ""})
    assert r.status_code == 200 and len(shown_secrets(r)) == 2
    assert re.search(r"ending in <strong>\w{4}</strong>", text(dash.get("/dashboard/activate")))


def test_activation_refusal_names_the_field(dash, signed_in):
    r = dash.post("/dashboard/activate", {"account_number": "1" * 40})
    assert r.status_code == 400
    assert '<p class="field-error" id="f-account_number-error">Enter a bank account number ' \
           'of at most 34 characters.</p>' in text(r)
    assert "1" * 40 not in text(r).split("<form")[0]  # echoed in the field, not the message


def test_activation_refuses_stripes_test_bank(dash, signed_in):
    r = dash.post("/dashboard/activate", {"routing_number": "110000000",
                                          "account_number": "000123456789"})
    assert r.status_code == 400
    assert (f'<p class="field-error" id="f-routing_number-error">'
            f'{messages.LIVE_MODE_TEST_BANK_ACCOUNT}</p>') in text(r)
    assert shown_secrets(r) == []
    assert "Activate live mode" in text(dash.get("/dashboard/keys"))  # live mode stays off


@pytest.mark.parametrize("form, seconds", [({"advance": "3600"}, 3600),
                                           ({"advance": "86400"}, 86400),
                                           ({"advance": "custom", "custom": "90m"}, 5400)])
def test_advance_the_clock(dash, signed_in, wall, form, seconds):
    wall[0] = 1_700_000_000
    r = dash.post("/dashboard/clock", form)
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/clock?done=advanced"
    page = text(dash.get(r.headers["Location"]))
    assert "The clock moved forward." in page
    from payground.dashboard.filters import duration, timestamp

    assert f"<strong>{timestamp(1_700_000_000 + seconds)}</strong>" in page
    assert f"<dd>{duration(seconds)}</dd>" in page


@pytest.mark.parametrize("custom, message", [
    ("soon", "Type a duration such as 90s, 15m, 2h, 3d or 1w."),
    ("0s", "Invalid seconds: must be between 1 and 31536000 (one year)."),
    ("400d", "Invalid seconds: must be between 1 and 31536000 (one year)."),
])
def test_a_bad_custom_duration(dash, signed_in, custom, message):
    r = dash.post("/dashboard/clock", {"advance": "custom", "custom": custom})
    assert r.status_code == 400
    assert message in text(r)
    assert "<dt>Ahead of real time by</dt><dd>nothing yet</dd>" in text(r)
