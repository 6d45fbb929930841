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


def test_the_unspecified_address_is_judged_as_the_loopback_it_reaches():
    # Connecting to 0.0.0.0 or :: reaches this machine: "anywhere but here" must refuse them.
    internet = AllowedHosts("0.0.0.0/0,::/0,!127.0.0.0/8,!::1,*.nip.io")
    assert internet.may_register("8.8.8.8") and internet.may_register("2001:db8::1")
    for spelling in ("0.0.0.0", "0", "0x0", "0.0.0.0.", "::", "::0", "::ffff:0.0.0.0"):
        assert not internet.may_register(spelling), spelling
    # What a listed name resolves to (0.0.0.0.nip.io): the same.
    assert not internet.holds_address("0.0.0.0", named=True)
    assert not internet.holds_address("::", named=True)
    assert AllowedHosts("127.0.0.0/8,::1").may_register("0.0.0.0")
    assert AllowedHosts("127.0.0.0/8,::1").may_register("::")


def test_entries_for_one_port():
    allowed = AllowedHosts("host.docker.internal:5000, *.ngrok.app:443, 10.0.0.0/8:8080, "
                           "[::1]:5000, [fd00::/8]:9000, 192.168.1.0/24, !192.168.1.10:5432")
    assert allowed.lists_ports and not AllowedHosts("10.0.0.0/8").lists_ports
    assert allowed.names_host("host.docker.internal", 5000)
    assert not allowed.names_host("host.docker.internal", 2375)
    assert not allowed.names_host("host.docker.internal")  # port not known: not this entry
    assert allowed.names_host("abc.ngrok.app", 443) and not allowed.names_host("abc.ngrok.app", 80)
    assert allowed.holds_address("10.1.2.3", 8080) and not allowed.holds_address("10.1.2.3", 80)
    assert allowed.holds_address("::1", 5000) and not allowed.holds_address("::1", 5432)
    assert allowed.holds_address("fd00::7", 9000) and not allowed.holds_address("fd00::7", 22)
    # A range for every port, but one port of one address taken out.
    assert allowed.holds_address("192.168.1.10", 5000)
    assert not allowed.holds_address("192.168.1.10", 5432)
    assert not allowed.holds_address("192.168.1.10")  # port not known: ! entries all count
    assert allowed.holds_address("192.168.1.11", 5432)
    assert not allowed.holds_address("192.168.1.10", 5432, named=True)
    # Another name: taken while some range is listed for its port.
    assert allowed.may_register("shop.example.org", 8080)
    assert allowed.may_register("shop.example.org", 5432)  # 192.168.1.0/24: any port
    assert not AllowedHosts("10.0.0.0/8:8080").may_register("shop.example.org", 80)
    assert allowed.may_register("host.docker.internal", 5000)
    assert not AllowedHosts("host.docker.internal:5000").may_register("host.docker.internal", 22)
    # Names taken out on one port only.
    named = AllowedHosts("*.example.com, !admin.example.com:22")
    assert named.names_host("admin.example.com", 443)
    assert not named.names_host("admin.example.com", 22)
    assert named.excludes_name("admin.example.com", 22)
    assert not named.excludes_name("admin.example.com", 443)
    # A refusal names the port when the setting lists ports.
    assert allowed.shown("127.0.0.1", 6379) == "127.0.0.1:6379"
    assert allowed.shown("::1", 6379) == "[::1]:6379"
    assert AllowedHosts("10.0.0.0/8").shown("127.0.0.1", 6379) == "127.0.0.1"
    # Brackets without a port are an IPv6 address as well.
    assert AllowedHosts("[::1]").holds_address("::1", 22)


@pytest.mark.parametrize("setting", ["host:0", "host:65536", "host:", "host:http", "10.0.0.0/8:",
                                     "[::1", "[::1]5000", "[10.0.0.1]:80", "[::1]:x", "host:٥٠٠٠"])
def test_a_port_that_cannot_be_read_is_refused(setting):
    with pytest.raises(ValueError, match="PAYGROUND_WEBHOOK_ALLOWED_HOSTS: cannot read"):
        AllowedHosts(setting)
