"""The leak drills page: leak a key of the mode, see the bots and the score, contain it."""

from __future__ import annotations

import re

from tests.dashboard.conftest import text


def test_leak_a_key_watch_the_score_and_contain_it(dash, signed_in, wall):
    wall[0] = 1_700_000_000
    shown = f"sk_test_...{signed_in.secret_key[-4:]}"
    page = text(dash.get("/dashboard/drills"))
    assert "No leak drills in test mode yet." in page
    options = re.findall(r'<option value="(key_\w+)">([^<]+)</option>', page)
    assert [label for _, label in options] == [f"{shown} — Test secret key"]

    r = dash.post("/dashboard/drills", {"key": options[0][0]})
    assert r.status_code == 303
    drill_id = r.headers["Location"].split("started=")[1]
    assert r.headers["Location"] == f"/dashboard/drills?started={drill_id}"

    wall[0] += 300  # five minutes: nine bot requests (+120 ... +280)
    page = text(dash.get(r.headers["Location"]))
    assert "The key counts as leaked now. The clock is running." in page
    row = page.split(f"<code>{drill_id}</code>")[0].rsplit("<tr", 1)[1] + \
        page.split(f"<code>{drill_id}</code>")[1].split("</tr>")[0]
    assert '<span class="badge badge-exposed">exposed</span>' in row
    assert "<td>5 min (300 s)</td>" in row and "9 let in, 0 refused" in row
    assert "1 charges ($1.00 USD)" in row
    assert signed_in.secret_key not in page

    dash.post(f"/dashboard/keys/{options[0][0]}/revoke", {})
    page = text(dash.get("/dashboard/drills"))
    assert '<span class="badge badge-contained">contained</span>' in page
    assert "beat 12 min" in page
    assert "No key of this mode can leak" in page  # the only secret key is revoked


def test_an_exposure_just_over_the_target_shows_its_seconds(dash, signed_in, wall):
    """12 min 30 s is "over 12 min": the exposure must not read "12 min" beside it."""
    wall[0] = 1_700_000_000
    key_id = dash.key_id(signed_in.secret_key)
    dash.post("/dashboard/drills", {"key": key_id})
    wall[0] += 750
    dash.post(f"/dashboard/keys/{key_id}/revoke", {})

    page = text(dash.get("/dashboard/drills"))

    assert "<td>12 min (750 s)</td>" in page
    assert "over 12 min" in page


def test_a_refused_start_shows_the_apis_message(dash, signed_in):
    r = dash.post("/dashboard/drills", {"key": "key_nope"})
    assert r.status_code == 400
    assert "No such api_key: &#39;key_nope&#39;" in r.get_data(as_text=True)
    r = dash.post("/dashboard/drills", {})
    assert r.status_code == 400 and "Missing required param: key." in text(r)


def test_a_key_of_the_other_mode_is_refused(dash, signed_in):
    """The form offers this mode's keys only; a stale tab (the mode switched in another) may
    still post one of the other mode: refused, not a drill this page would never list."""
    test_key = dash.key_id(signed_in.secret_key)
    dash.post("/dashboard/activate", {})  # live now, and the dashboard switched to it
    shown = f"sk_test_...{signed_in.secret_key[-4:]}"

    r = dash.post("/dashboard/drills", {"key": test_key})

    assert r.status_code == 400
    assert (f"{shown} is a test mode key, and this is live mode: switch to test mode to leak "
            "it.") in text(r)
    assert "No leak drills in live mode yet." in text(dash.get("/dashboard/drills"))
    dash.post("/dashboard/mode", {"mode": "test", "next": "/dashboard/drills"})
    assert "No leak drills in test mode yet." in text(dash.get("/dashboard/drills"))
