"""PAYGROUND_WEBHOOK_ALLOWED_HOSTS: a shared server sends deliveries only where its host allows."""

from __future__ import annotations

import pytest

from payground import messages
from payground.config import load_config
from tests.helpers import assert_error
from tests.webhook_receiver import Receiver


@pytest.fixture
def allowed_hosts() -> str:
    return "hooks.example.com, *.ngrok.app, 10.0.0.0/8"


@pytest.fixture
def app_config(app_config, allowed_hosts):
    return {**app_config, "WEBHOOK_ALLOWED_HOSTS": allowed_hosts}


def register(account, url):
    return account.post("/v1/webhook_endpoints", {"url": url, "enabled_events[]": "*"})


def refused(host: str) -> str:
    return messages.WEBHOOK_URL_NOT_ALLOWED.format(host=host)


def test_listed_names_domains_and_ranges_are_taken(account):
    for url in ("https://hooks.example.com/stripe", "https://HOOKS.example.com./x",
                "https://abc123.ngrok.app/webhook", "http://10.1.2.3:8000/hook",
                "https://shop.example.org/hook"):  # a name: checked again when connecting
        r = register(account, url)
        assert r.status_code == 200, (url, r.get_json())


@pytest.mark.parametrize("url, host", [
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
    ("http://127.0.0.1:6379/", "127.0.0.1"),
    ("http://[::1]:5432/", "::1"),
    # Old IPv4 spellings resolvers still accept are addresses, not names.
    ("http://127.1:6379/", "127.1"), ("http://0x7f.1/", "0x7f.1"),
    ("http://2130706433/", "2130706433"), ("http://127.0.0.1./", "127.0.0.1."),
])
def test_an_address_outside_the_ranges_is_refused(account, url, host):
    assert_error(register(account, url), 400, code="url_invalid", param="url",
                 message=refused(host))
    assert account.get("/v1/webhook_endpoints").get_json()["data"] == []


@pytest.mark.parametrize("allowed_hosts", ["hooks.example.com,*.ngrok.app"])
def test_with_names_only_other_names_are_refused_too(account):
    assert_error(register(account, "https://shop.example.org/hook"), 400, code="url_invalid",
                 param="url", message=refused("shop.example.org"))
    assert_error(register(account, "https://ngrok.app.evil.test/"), 400, code="url_invalid",
                 param="url", message=refused("ngrok.app.evil.test"))
    created = register(account, "https://hooks.example.com/a").get_json()
    moved = account.post(f"/v1/webhook_endpoints/{created['id']}",
                         {"url": "https://shop.example.org/hook"})
    assert_error(moved, 400, code="url_invalid", param="url",
                 message=refused("shop.example.org"))
    still = account.get(f"/v1/webhook_endpoints/{created['id']}").get_json()
    assert still["url"] == "https://hooks.example.com/a"


def test_a_name_that_resolves_outside_the_ranges_is_not_sent_to(app, account):
    with Receiver() as hook:
        url = hook.url.replace("127.0.0.1", "localhost")  # a name: taken, then checked
        assert register(account, url).status_code == 200
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)
        assert hook.received == []
    (delivery,) = account.client.get("/sandbox/webhook_deliveries",
                                     headers=account.session_auth).get_json()["data"]
    assert delivery["status"] == "pending" and delivery["last_response_status"] is None
    # Which address it found is not said: the error would map the server's network.
    assert delivery["last_error"] == ("OSError: not sent: localhost resolves to no address "
                                      "that PAYGROUND_WEBHOOK_ALLOWED_HOSTS allows")


@pytest.mark.parametrize("allowed_hosts", ["127.0.0.0/8,::1"])
def test_a_name_that_resolves_inside_the_ranges_is_sent_to(app, account):
    with Receiver() as hook:
        assert register(account, hook.url.replace("127.0.0.1", "localhost")).status_code == 200
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)
        assert len(hook.received) == 1


@pytest.mark.parametrize("allowed_hosts", ["127.0.0.0/8,::1,!127.0.0.9,!localhost"])
def test_addresses_and_names_taken_back_out_are_refused_and_not_sent_to(app, account):
    assert_error(register(account, "http://127.0.0.9:8080/hook"), 400, code="url_invalid",
                 param="url", message=refused("127.0.0.9"))
    assert_error(register(account, "http://localhost:8080/hook"), 400, code="url_invalid",
                 param="url", message=refused("localhost"))
    with Receiver() as hook:
        assert register(account, hook.url).status_code == 200  # 127.0.0.1: still allowed
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)
        assert len(hook.received) == 1


@pytest.mark.parametrize("allowed_hosts", ["localhost,!127.0.0.0/8,!::1"])
def test_a_listed_name_that_resolves_where_a_bang_points_is_not_sent_to(app, account):
    """`!` wins whatever the order: a listed name (*.nip.io names any address) does not
    reach an address taken out."""
    with Receiver() as hook:
        assert register(account, hook.url.replace("127.0.0.1", "localhost")).status_code == 200
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)
        assert hook.received == []
    (delivery,) = account.client.get("/sandbox/webhook_deliveries",
                                     headers=account.session_auth).get_json()["data"]
    assert delivery["last_error"] == ("OSError: not sent: localhost resolves to no address "
                                      "that PAYGROUND_WEBHOOK_ALLOWED_HOSTS allows")


@pytest.mark.parametrize("allowed_hosts", ["127.0.0.0/8,::1"])
def test_a_name_taken_out_after_it_was_registered_is_not_sent_to(app, account):
    from payground.core.webhooks import AllowedHosts

    with Receiver() as hook:
        assert register(account, hook.url.replace("127.0.0.1", "localhost")).status_code == 200
        app.config["WEBHOOK_ALLOWED_HOSTS"] = AllowedHosts("127.0.0.0/8,::1,!localhost")
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)
        assert hook.received == []
    (delivery,) = account.client.get("/sandbox/webhook_deliveries",
                                     headers=account.session_auth).get_json()["data"]
    assert delivery["last_error"] == ("OSError: not sent: PAYGROUND_WEBHOOK_ALLOWED_HOSTS "
                                      "excludes localhost")


@pytest.mark.parametrize("allowed_hosts", ["bücher.example"])
def test_a_listed_name_in_another_script_is_taken_in_either_form(account):
    for url in ("https://bücher.example/hook", "https://xn--bcher-kva.example/hook"):
        r = register(account, url)
        assert r.status_code == 200, (url, r.get_json())


@pytest.mark.parametrize("allowed_hosts", ["10.0.0.0/8,!bücher.example"])
def test_a_name_in_another_script_taken_out_is_refused_in_either_form(account):
    for host in ("bücher.example", "xn--bcher-kva.example"):
        assert_error(register(account, f"https://{host}/hook"), 400, code="url_invalid",
                     param="url", message=refused(host))
    assert account.get("/v1/webhook_endpoints").get_json()["data"] == []


@pytest.mark.parametrize("allowed_hosts", ["10.0.0.0/8,::/0"])
def test_an_ipv4_mapped_address_is_judged_as_its_ipv4_address(account):
    assert_error(register(account, "http://[::ffff:127.0.0.1]:6379/"), 400, code="url_invalid",
                 param="url", message=refused("::ffff:127.0.0.1"))
    assert register(account, "http://[::ffff:10.0.0.5]/hook").status_code == 200
    assert register(account, "http://[2001:db8::1]/hook").status_code == 200


@pytest.mark.parametrize("setting", ["hooks example.com", "10.0.0.0/33,x", "*.", "a_b.test",
                                     "10.1", "192.168.1.256"])
def test_a_setting_that_cannot_be_read_stops_the_server(setting):
    with pytest.raises(ValueError, match="PAYGROUND_WEBHOOK_ALLOWED_HOSTS: cannot read"):
        load_config({"HOME": "/tmp/payground-unused", "SECRET": "x",
                     "WEBHOOK_ALLOWED_HOSTS": setting})
