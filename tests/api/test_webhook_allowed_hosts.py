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


def last_error(account) -> str:
    (delivery,) = account.client.get("/sandbox/webhook_deliveries",
                                     headers=account.session_auth).get_json()["data"]
    assert delivery["status"] == "pending" and delivery["last_response_status"] is None
    return delivery["last_error"]


@pytest.mark.parametrize("allowed_hosts", ["0.0.0.0/0,::/0,!127.0.0.0/8,!::1"])
@pytest.mark.parametrize("host", ["0.0.0.0", "0", "[::]", "[::ffff:0.0.0.0]"])
def test_the_unspecified_address_is_this_machine(account, host):
    """Connecting to 0.0.0.0 or :: reaches the server's own loopback (its Redis, its
    database): "anywhere but 127.0.0.0/8" must not let it through."""
    assert_error(register(account, f"http://{host}:6379/"), 400, code="url_invalid",
                 param="url", message=refused(host.strip("[]")))
    assert account.get("/v1/webhook_endpoints").get_json()["data"] == []


@pytest.mark.parametrize("allowed_hosts", [""])
def test_an_endpoint_at_the_unspecified_address_is_not_sent_to(app, account):
    from payground.core.webhooks import AllowedHosts

    with Receiver() as hook:
        assert register(account, hook.url.replace("127.0.0.1", "0.0.0.0")).status_code == 200
        app.config["WEBHOOK_ALLOWED_HOSTS"] = AllowedHosts("0.0.0.0/0,!127.0.0.0/8")
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)
        assert hook.received == []
    assert last_error(account) == ("OSError: not sent: 0.0.0.0 resolves to no address that "
                                   "PAYGROUND_WEBHOOK_ALLOWED_HOSTS allows")


@pytest.mark.parametrize("allowed_hosts", ["hooks.example.com:8443,10.0.0.0/8:8080,"
                                           "[fd00::/8]:9000"])
def test_entries_with_a_port_allow_that_port_only(account):
    for url in ("https://hooks.example.com:8443/stripe", "http://10.1.2.3:8080/hook",
                "http://[fd00::5]:9000/hook", "https://shop.example.org:8080/hook"):
        r = register(account, url)
        assert r.status_code == 200, (url, r.get_json())
    for url, shown in [("https://hooks.example.com/stripe", "hooks.example.com:443"),
                       ("http://hooks.example.com:9443/", "hooks.example.com:9443"),
                       ("http://10.1.2.3/hook", "10.1.2.3:80"),
                       ("http://10.1.2.3:6379/", "10.1.2.3:6379"),
                       ("http://[fd00::5]:5432/", "[fd00::5]:5432"),
                       # Another name, on a port no range is listed for: refused at once.
                       ("https://shop.example.org/hook", "shop.example.org:443")]:
        assert_error(register(account, url), 400, code="url_invalid", param="url",
                     message=refused(shown))


def test_a_name_is_sent_to_only_on_a_port_its_addresses_are_listed_for(app, account):
    from payground.core.webhooks import AllowedHosts

    def port_of(url: str) -> str:
        return url.split("/")[2].rsplit(":", 1)[1]

    with Receiver() as hook, Receiver() as other:
        app.config["WEBHOOK_ALLOWED_HOSTS"] = AllowedHosts(
            f"127.0.0.0/8:{port_of(hook.url)},10.0.0.0/8:{port_of(other.url)}")
        assert_error(register(account, other.url), 400, code="url_invalid", param="url",
                     message=refused(f"127.0.0.1:{port_of(other.url)}"))
        # Names are taken on both ports (a range is listed for each), and sent to only
        # where what they resolve to is listed for the port.
        for url in (hook.url, other.url):
            assert register(account, url.replace("127.0.0.1", "localhost")).status_code == 200
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)
        assert len(hook.received) == 1 and other.received == []
    rows = account.client.get("/sandbox/webhook_deliveries",
                              headers=account.session_auth).get_json()["data"]
    assert sorted((row["status"], row["last_error"]) for row in rows) == [
        ("pending", f"OSError: not sent: localhost:{port_of(other.url)} resolves to no "
                    "address that PAYGROUND_WEBHOOK_ALLOWED_HOSTS allows"),
        ("succeeded", None)]


@pytest.mark.parametrize("allowed_hosts", ["localhost,!localhost:6379"])
def test_a_name_taken_out_on_one_port_only(account):
    assert_error(register(account, "http://localhost:6379/"), 400, code="url_invalid",
                 param="url", message=refused("localhost:6379"))
    assert register(account, "http://localhost:5000/hook").status_code == 200
