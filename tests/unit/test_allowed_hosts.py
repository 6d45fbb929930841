"""core.webhooks.AllowedHosts: names, *.domains, addresses and ranges."""

from payground.core.webhooks import AllowedHosts


def test_names_domains_and_ranges():
    allowed = AllowedHosts(" Hooks.Example.com ,*.ngrok.app, 10.0.0.0/8 ,::1,")
    assert allowed and not AllowedHosts(" , ")
    assert allowed.names_host("hooks.example.com") and allowed.names_host("HOOKS.example.com.")
    assert allowed.names_host("a.b.ngrok.app") and not allowed.names_host("ngrok.app")
    assert not allowed.names_host("evilngrok.app") and not allowed.names_host("example.com")
    assert allowed.holds_address("10.255.0.1") and allowed.holds_address("::1")
    assert not allowed.holds_address("11.0.0.1") and not allowed.holds_address("not an ip")
    assert allowed.holds_address("::1%lo")  # a scoped address is its address
    # Registering: a listed name, an address in a range, or any name while ranges exist.
    assert allowed.may_register("10.0.0.7") and not allowed.may_register("169.254.169.254")
    assert allowed.may_register("shop.example.org")
    assert not AllowedHosts("hooks.example.com").may_register("shop.example.org")
    assert AllowedHosts("bücher.example").names_host("xn--bcher-kva.example")  # IDNA form
