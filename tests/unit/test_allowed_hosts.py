"""core.webhooks.AllowedHosts: names, *.domains, addresses and ranges."""

import pytest

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
    # A URL may name the host in either form (it is sent in IDNA form): judged the same.
    for host in ("bücher.example", "BÜCHER.example", "xn--bcher-kva.example"):
        assert AllowedHosts("bücher.example").may_register(host), host
        assert not AllowedHosts("10.0.0.0/8,!bücher.example").may_register(host), host
    with pytest.raises(ValueError):  # a "name" ending in digits is an address mistyped
        AllowedHosts("*.1")


def test_addresses_in_any_spelling_are_judged_as_addresses():
    mapped = AllowedHosts("10.0.0.0/8,::/0")
    assert not mapped.holds_address("::ffff:127.0.0.1")  # 127.0.0.1 on the wire
    assert mapped.holds_address("::ffff:10.1.2.3") and mapped.holds_address("2001:db8::1")
    assert not mapped.holds_address("64:ff9b::7f00:1")  # NAT64: 127.0.0.1 again
    assert mapped.holds_address("64:ff9b::a01:203")  # 10.1.2.3
    loopback = AllowedHosts("127.0.0.0/8")
    for spelling in ("127.1", "0x7f.1", "2130706433", "017700000001", "127.0.0.1."):
        assert loopback.may_register(spelling) and not AllowedHosts("10.0.0.0/8").may_register(
            spelling), spelling


def test_entries_taken_back_out_with_a_bang():
    allowed = AllowedHosts("!10.0.0.5, 10.0.0.0/8, *.example.com, !admin.example.com, "
                           "!fd00::/64, fd00::/8")
    assert allowed.holds_address("10.0.0.4") and not allowed.holds_address("10.0.0.5")
    assert allowed.holds_address("fd01::1") and not allowed.holds_address("fd00::7")
    assert not allowed.holds_address("::ffff:10.0.0.5")  # mapped: the same address
    assert allowed.names_host("shop.example.com") and not allowed.names_host("admin.example.com")
    assert allowed.excludes_name("ADMIN.example.com.")
    assert not allowed.may_register("admin.example.com") and not allowed.may_register("10.0.0.5")
    assert allowed.may_register("10.0.0.6") and allowed.may_register("other.example.org")
    # What a listed name resolves to may be anywhere, but never where a ! entry points.
    assert allowed.holds_address("192.0.2.1", named=True)
    assert not allowed.holds_address("10.0.0.5", named=True)
    assert not allowed.holds_address("::ffff:10.0.0.5", named=True)
    only_exclusions = AllowedHosts("!10.0.0.5")
    assert only_exclusions and not only_exclusions.may_register("10.0.0.6")  # nothing allowed
    with pytest.raises(ValueError, match="take names out one by one"):
        AllowedHosts("*.example.com,!*.admin.example.com")
