"""Scenario files: loading, defaults, round trips, and every kind of bad input (DESIGN.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xcon_teach import ScenarioError, load_scenario, loads_scenario
from xcon_teach.scenario import library
from xcon_teach.scenario.names import IDENTIFIER
from xcon_teach.sim.builds import has_fix

REFERENCE = library.text("kb-q169113")


def edit(old: str, new: str, text: str = REFERENCE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def refused(text: str, source: str = "bad.toml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, source=source)
    return info.value


# --- the good path -------------------------------------------------------------------------------


def test_reference_scenario_matches_domain_section_8() -> None:
    s = load_scenario("kb-q169113")
    assert [h.name for h in s.hosts] == ["EXA", "NODE1", "NODE2"]
    wolfpack = s.cluster("WOLFPACK")
    assert (wolfpack.nodes, wolfpack.active, wolfpack.virtual_name, wolfpack.virtual_ip) == (
        ("NODE1", "NODE2"),
        "NODE1",
        "EXCLUS",
        "10.0.1.20",
    )
    assert s.connector("EXA").address == "10.0.1.20" and s.connector("EXCLUS").address == "10.0.0.10"
    assert {c.stack for c in s.connectors} == {"ip"}
    assert s.server("EXA").build == 1960 == s.server("EXCLUS").build and not has_fix(s.server("EXCLUS"))  # RTM
    assert s.hostname_stack == "sender"
    assert dict(s.names.hosts) == {"EXA": "10.0.0.10", "EXCLUS": "10.0.1.20"}
    assert s.names.ptr == () and s.names.netbios
    assert s.until == 90000.0


def test_defaults_fill_what_a_file_leaves_out(tmp_path: Path) -> None:
    text = """
[hosts.A]
addresses = ["10.1.0.1"]
[hosts.B]
addresses = ["10.2.0.1"]
[servers.A]
site = "S1"
host = "A"
[servers.B]
site = "S2"
host = "B"
[[connectors]]
server = "A"
remote = "B"
stack = "ip"
address = "10.2.0.1"
"""
    path = tmp_path / "tiny.toml"
    path.write_text(text)
    s = load_scenario(path)
    assert s.title == "tiny.toml"  # the file's name
    assert s.org == "Microsoft" and s.until == 90000.0
    assert s.server("A").build == 1960 and s.server("A").q169113_fix is None  # rtm
    assert s.hostname_stack == "sender"
    c = s.connector("A")
    assert (c.max_open_retries, c.open_interval, c.stack_ip_override) == (144, 600.0, None)
    assert s.names.netbios and s.firewall.allow_sources is None


def test_fix_default_follows_the_build() -> None:
    s = load_scenario("kb-q169113")
    """DOMAIN 4 (rev 2): SP1 (mid-1998) and later carry the fix; RTM only with the hotfix [MODEL]."""
    assert [has_fix(s.with_build("EXCLUS", b).server("EXCLUS")) for b in ("rtm", "sp1", 2431, "sp2", "sp3", "sp4")] == [
        False,
        True,
        True,
        True,
        True,
        True,
    ]
    assert not has_fix(s.with_build("EXCLUS", "sp3").with_fix("EXCLUS", False).server("EXCLUS"))
    assert has_fix(s.with_fix("EXCLUS", True).server("EXCLUS"))


def test_names_are_case_insensitive_and_spelled_as_defined() -> None:
    text = edit('server = "EXA"                          # the server', 'server = "exa"  #')
    text = edit('active = "NODE1"', 'active = "node1"', text)
    s = loads_scenario(text)
    assert s.connectors[0].server == "EXA"
    assert s.cluster("wolfpack").active == "NODE1"
    assert s.server("exclus").name == "EXCLUS"


@pytest.mark.parametrize("name", library.names())
def test_every_built_in_scenario_round_trips_through_toml(name: str) -> None:
    s = load_scenario(name)
    again = loads_scenario(s.to_toml(), source=name)
    assert again == s
    assert loads_scenario(again.to_toml()).to_toml() == s.to_toml()


_FREE_TEXT = st.text(min_size=1, max_size=40).filter(str.strip)


@given(
    title=_FREE_TEXT.filter(lambda t: "\n" not in t),
    description=st.text(max_size=80),
    org=st.from_regex(IDENTIFIER, fullmatch=True),
    site=st.from_regex(IDENTIFIER, fullmatch=True),
    alias=st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}(\.[A-Za-z0-9][A-Za-z0-9_-]{0,10}){0,2}", fullmatch=True),
)
def test_every_text_field_round_trips_through_toml(title: str, description: str, org: str, site: str, alias: str) -> None:
    """``to_toml`` promises a file that loads back to the same scenario, whatever valid text it holds
    (control characters, quotes, backslashes, non-ASCII): the writer escapes with tomli_w."""
    s = load_scenario("kb-q169113")
    names = s.names.__class__(hosts=((alias, "10.0.0.10"),), dns=((alias, "10.0.1.20"),), ptr=(("10.0.1.11", alias),))
    edited = s.replace(title=title, description=description, org=org, names=names)
    edited = edited._with_server("EXA", site=site)
    assert loads_scenario(edited.to_toml()) == edited


def test_a_title_with_a_carriage_return_round_trips() -> None:
    s = load_scenario("kb-q169113").replace(title="Lab 3\r(draft)\x01")
    assert loads_scenario(s.to_toml()).title == "Lab 3\r(draft)\x01"


def test_library_lists_every_file_with_title_and_two_line_description() -> None:
    names = library.names()
    assert names[0] == "kb-q169113" and len(names) >= 11
    for name in names:
        title, description = library.summary(name)
        assert title and len(description.splitlines()) == 2, name


def test_a_file_wins_over_a_built_in_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("baseline").write_text(REFERENCE)
    assert load_scenario("baseline").title.startswith("KB Q169113")


def test_edits_return_copies_and_leave_the_original_alone() -> None:
    s = load_scenario("kb-q169113")
    t = s.with_stack("EXA", "hostname", "EXCLUS").failed_over("WOLFPACK").with_ptr("10.0.1.11", "NODE1").with_netbios(False)
    assert s.connector("EXA").stack == "ip" and s.cluster("WOLFPACK").active == "NODE1"
    assert t.connector("EXA").address == "EXCLUS" and t.cluster("WOLFPACK").active == "NODE2"
    assert dict(t.names.ptr) == {"10.0.1.11": "NODE1"} and not t.names.netbios
    assert t.with_ptr("10.0.1.11", None).names.ptr == ()
    assert s.with_override("EXCLUS", "10.0.1.20").connector("EXCLUS").stack_ip_override == "10.0.1.20"
    assert s.with_firewall(["10.0.1.20"]).firewall.allow_sources == ("10.0.1.20",)
    assert s.with_retries("EXCLUS", max_open_retries=3, open_interval=60).connector("EXCLUS").max_open_retries == 3


def test_a_refused_edit_names_the_field_and_changes_nothing() -> None:
    s = load_scenario("kb-q169113")
    with pytest.raises(
        ScenarioError, match=r'^kb-q169113: connectors\[0\]\.address: not a valid IPv4 address \(got "10\.0\.1\.300"\)$'
    ) as info:
        s.with_address("EXA", "10.0.1.300")
    assert info.value.path == "connectors[0].address"
    assert info.value.short == 'not a valid IPv4 address (got "10.0.1.300")'
    assert s.connector("EXA").address == "10.0.1.20"
    with pytest.raises(ScenarioError, match=r"connectors\[0\]\.address: a name cannot contain spaces"):
        s.with_stack("EXA", "hostname", "EX CLUS")
    with pytest.raises(
        ScenarioError,
        match=r"servers\.EXA\.build: must be rtm, sp1, sp2, sp3, sp4 or a build number from 1, such as 2431 \(got \"sp5\"\)",
    ):
        s.with_build("EXA", "sp5")
    assert s.with_build("EXA", "SP2").server("EXA").build == 2448 and s.with_build("EXA", 2431).server("EXA").build == 2431
    with pytest.raises(ScenarioError, match=r"clusters\.WOLFPACK\.active: the active node must be one of"):
        s.with_active("WOLFPACK", "EXA")


# --- bad input: one clear message naming file, key path and value ----------------------------------

FORM = re.compile(r"^bad\.toml: \S.*: .+$")

BAD = [
    # (what, old text, new text, expected message after "bad.toml: ")
    (
        "bad IP",
        'address = "10.0.0.10"\n\n[names]',
        'address = "10.0.1.300"\n\n[names]',
        'connectors[1].address: not a valid IPv4 address (got "10.0.1.300")',
    ),
    ("IPv6", 'addresses = ["10.0.0.10"]', 'addresses = ["fe80::1"]', "hosts.EXA.addresses[0]: IPv6 addresses are not modelled"),
    (
        "INADDR_ANY as an address",
        'addresses = ["10.0.1.12"]',
        'addresses = ["0.0.0.0"]',
        "hosts.NODE2.addresses[0]: 0.0.0.0 is INADDR_ANY",
    ),
    (
        "unknown key",
        'build = "rtm"                           # rtm',
        'bulid = "rtm"  # rtm',
        'servers.EXA.bulid: unknown key; did you mean build? (got "rtm")',
    ),
    ("unknown top-level key", 'org = "Microsoft"', 'organisation = "Microsoft"', "organisation: unknown key"),
    (
        "wrong type",
        'addresses = ["10.0.0.10"]',
        'addresses = "10.0.0.10"',
        'hosts.EXA.addresses: must be a list of strings (got "10.0.0.10")',
    ),
    ("wrong type number", "until = 90000", 'until = "a day"', 'run.until: must be a number of seconds (got "a day")'),
    ("negative until", "until = 90000", "until = -1", "run.until: must not be negative (got -1)"),
    (
        "negative time",
        "at = 0                                   # seconds",
        "at = -5  #",
        "messages[0].at: must not be negative (got -5)",
    ),
    (
        "unknown server in connector",
        'server = "EXA"                          # the server',
        'server = "EXZ" #',
        'connectors[0].server: not a server of this scenario (got "EXZ")',
    ),
    (
        "unknown host for a server",
        'host = "EXA"                            # a host',
        'host = "EXQ" #',
        'servers.EXA.host: not a host or a cluster\'s virtual name in this scenario (got "EXQ")',
    ),
    (
        "unknown node",
        'nodes = ["NODE1", "NODE2"]',
        'nodes = ["NODE1", "NODE3"]',
        'clusters.WOLFPACK.nodes[1]: not a host of this scenario (got "NODE3")',
    ),
    (
        "three nodes",
        'nodes = ["NODE1", "NODE2"]',
        'nodes = ["NODE1", "NODE2", "EXA"]',
        "clusters.WOLFPACK.nodes: an MSCS 1.0 cluster has exactly two nodes",
    ),
    (
        "active not a node",
        'active = "NODE1"',
        'active = "EXA"',
        'clusters.WOLFPACK.active: the active node must be one of the cluster\'s nodes (NODE1, NODE2) (got "EXA")',
    ),
    (
        "two hosts one address",
        'addresses = ["10.0.1.12"]',
        'addresses = ["10.0.1.11"]',
        'hosts.NODE2.addresses[0]: address already belongs to host NODE1 (got "10.0.1.11")',
    ),
    (
        "virtual IP is a node IP",
        'virtual_ip = "10.0.1.20"',
        'virtual_ip = "10.0.1.11"',
        "clusters.WOLFPACK.virtual_ip: clashes with an address of host NODE1",
    ),
    (
        "virtual name is a host",
        'virtual_name = "EXCLUS"',
        'virtual_name = "NODE2"',
        "clusters.WOLFPACK.virtual_name: clashes with a host's name (NODE2)",
    ),
    ("names equal but for case", "[hosts.NODE2]", "[hosts.node1]", 'hosts.node1: equals host NODE1 but for case (got "node1")'),
    (
        "server on a cluster node",
        'host = "EXCLUS"',
        'host = "NODE1"',
        "servers.EXCLUS.host: is a node of cluster WOLFPACK; a clustered server runs on its virtual server EXCLUS",
    ),
    ("two servers on one host", 'host = "EXCLUS"', 'host = "EXA"', "servers.EXCLUS.host: server EXA already runs there"),
    (
        "unknown build",
        'build = "rtm"\n\n[[connectors]]',
        'build = "sp9"\n\n[[connectors]]',
        'servers.EXCLUS.build: must be rtm, sp1, sp2, sp3, sp4 or a build number from 1, such as 2431 (got "sp9")',
    ),
    (
        "build zero",
        'build = "rtm"\n\n[[connectors]]',
        "build = 0\n\n[[connectors]]",
        "servers.EXCLUS.build: must be rtm, sp1, sp2, sp3, sp4 or a build number from 1, such as 2431 (got 0)",
    ),
    (
        "build not whole",
        'build = "rtm"\n\n[[connectors]]',
        "build = 2431.5\n\n[[connectors]]",
        "servers.EXCLUS.build: must be rtm, sp1, sp2, sp3, sp4 or a build number from 1, such as 2431 (got 2431.5)",
    ),
    (
        "build as text",
        'build = "rtm"\n\n[[connectors]]',
        'build = "2431"\n\n[[connectors]]',
        'servers.EXCLUS.build: must be rtm, sp1, sp2, sp3, sp4 or a build number from 1, such as 2431 (got "2431")',
    ),
    (
        "build true",
        'build = "rtm"\n\n[[connectors]]',
        "build = true\n\n[[connectors]]",
        "servers.EXCLUS.build: must be rtm, sp1, sp2, sp3, sp4 or a build number from 1, such as 2431 (got true)",
    ),
    (
        "hypothesis",
        'hostname_stack = "sender"',
        'hostname_stack = "both"',
        'model.hostname_stack: must be one of sender, receiver (got "both")',
    ),
    (
        "model key",
        'hostname_stack = "sender"',
        'hostname = "sender"',
        "model.hostname: unknown key; did you mean hostname_stack?",
    ),
    (
        "virtual_ip and virtual_ips",
        'virtual_ip = "10.0.1.20"',
        'virtual_ip = "10.0.1.20"\nvirtual_ips = ["10.0.1.20", "10.0.1.21"]',
        "clusters.WOLFPACK.virtual_ips: give one of virtual_ip (one address) or virtual_ips (two or more), not both",
    ),
    (
        "neither virtual_ip nor virtual_ips",
        'virtual_ip = "10.0.1.20"',
        "",
        "clusters.WOLFPACK.virtual_ip: required key is missing",
    ),
    (
        "empty virtual_ips",
        'virtual_ip = "10.0.1.20"',
        "virtual_ips = []",
        "clusters.WOLFPACK.virtual_ips: holds two or more addresses; write one address as virtual_ip (got [])",
    ),
    (
        "one virtual_ips",
        'virtual_ip = "10.0.1.20"',
        'virtual_ips = ["10.0.1.20"]',
        'clusters.WOLFPACK.virtual_ips: holds two or more addresses; write one address as virtual_ip (got ["10.0.1.20"])',
    ),
    (
        "duplicate virtual_ips",
        'virtual_ip = "10.0.1.20"',
        'virtual_ips = ["10.0.1.20", "10.0.1.20"]',
        'clusters.WOLFPACK.virtual_ips[1]: is already a virtual IP of this cluster (got "10.0.1.20")',
    ),
    (
        "bad second virtual IP",
        'virtual_ip = "10.0.1.20"',
        'virtual_ips = ["10.0.1.20", "10.0.1.300"]',
        'clusters.WOLFPACK.virtual_ips[1]: not a valid IPv4 address (got "10.0.1.300")',
    ),
    (
        "fix not a bool",
        "# q169113_fix = false",
        'q169113_fix = "yes"',
        'servers.EXA.q169113_fix: must be true or false (got "yes")',
    ),
    (
        "connector to itself",
        'remote = "EXCLUS"',
        'remote = "EXA"',
        'connectors[0].remote: a connector cannot point at its own server (got "EXA")',
    ),
    (
        "stack type",
        'stack = "ip"                            # ip',
        'stack = "x25" #',
        'connectors[0].stack: must be one of ip, hostname (got "x25")',
    ),
    (
        "bad override",
        '# stack_ip_override = "10.0.1.20"',
        'stack_ip_override = "VIP"',
        'connectors[0].stack_ip_override: not a valid IPv4 address (got "VIP")',
    ),
    ("zero open interval", "# open_interval = 600", "open_interval = 0", "connectors[0].open_interval: must be positive (got 0)"),
    (
        "negative retries",
        "# max_open_retries = 144",
        "max_open_retries = -1",
        "connectors[0].max_open_retries: must be between 0 and 1000 (got -1)",
    ),
    (
        "bool retries",
        "# max_open_retries = 144",
        "max_open_retries = true",
        "connectors[0].max_open_retries: must be a whole number (got true)",
    ),
    (
        "message to unknown server",
        'to = "EXA"',
        'to = "NOWHERE"',
        'messages[0].to: not a server of this scenario (got "NOWHERE")',
    ),
    (
        "message to itself",
        'from = "EXCLUS"\nto = "EXA"',
        'from = "EXA"\nto = "EXA"',
        "messages[0].to: a message to its own server never crosses a connector",
    ),
    (
        "bad HOSTS address",
        'EXCLUS = "10.0.1.20" }',
        'EXCLUS = "10.0.1.2000" }',
        'names.hosts.EXCLUS: not a valid IPv4 address (got "10.0.1.2000")',
    ),
    (
        "bad PTR key",
        "ptr = {}",
        'ptr = { "10.0.1.500" = "NODE1" }',
        'names.ptr."10.0.1.500": not a valid IPv4 address (got "10.0.1.500")',
    ),
    ("netbios not bool", "netbios = true", "netbios = 1", "names.netbios: must be true or false (got 1)"),
    (
        "firewall bad IP",
        '# allow_sources = ["10.0.1.20", "10.0.0.10"]',
        'allow_sources = ["10.0.1.20", "x"]',
        'firewall.allow_sources[1]: not a valid IPv4 address (got "x")',
    ),
]


@pytest.mark.parametrize(("what", "old", "new", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_file_key_path_and_value(what: str, old: str, new: str, expected: str) -> None:
    error = refused(edit(old, new))
    assert FORM.match(str(error)), str(error)
    assert str(error).startswith("bad.toml: " + expected), str(error)
    assert "\n" not in str(error)


def test_message_without_a_connector_for_its_route() -> None:
    text = edit('[[connectors]]\nserver = "EXCLUS"', '[[unused]]\nserver = "EXCLUS"')
    error = refused(text)
    assert "unused: unknown key" in str(error)
    no_route = edit('[[connectors]]\nserver = "EXCLUS"\nremote = "EXA"\nstack = "ip"\naddress = "10.0.0.10"\n', "")
    error = refused(no_route)
    assert str(error).startswith('bad.toml: messages[0].to: EXCLUS has no connector to EXA (got "EXA")'), str(error)


def test_two_connectors_for_one_pair() -> None:
    text = REFERENCE.replace(
        "[names]", '[[connectors]]\nserver = "EXA"\nremote = "EXCLUS"\nstack = "ip"\naddress = "10.0.1.20"\n\n[names]'
    )
    assert "connectors[2].remote: connectors[0] already connects EXA to EXCLUS" in str(refused(text))


def test_failover_must_name_a_cluster() -> None:
    text = REFERENCE + '\n[[actions]]\nat = 10\nfailover = "NODE1"\n'
    assert str(refused(text)).startswith(
        "bad.toml: actions[0].failover: not a cluster of this scenario (name the cluster, not a node"
    )
    assert "actions[0].at: must not be negative" in str(refused(REFERENCE + '\n[[actions]]\nat = -1\nfailover = "WOLFPACK"\n'))
    assert "actions[0].failover: required key is missing" in str(refused(REFERENCE + "\n[[actions]]\nat = 1\n"))


def test_missing_required_keys() -> None:
    assert str(refused(edit('site = "SITEA"\n', ""))) == "bad.toml: servers.EXA.site: required key is missing"
    assert str(refused('title = "x"\n')) == "bad.toml: hosts: required key is missing"


def test_toml_syntax_error_gives_line_and_column() -> None:
    error = refused(edit('title = "KB', "title = KB"))
    assert re.search(r"^bad\.toml: TOML syntax error: .*line 3, column 9", str(error)), str(error)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nosuch\.toml: no such file or built-in scenario"):
        load_scenario(tmp_path / "nosuch.toml")
    with pytest.raises(ScenarioError, match=r"is a folder, not a scenario file"):
        load_scenario(tmp_path)


def test_non_finite_numbers_are_refused() -> None:
    assert "run.until: must be a finite number of seconds (got inf)" in str(refused(edit("until = 90000", "until = inf")))
    assert "messages[1].at: must be a finite number" in str(refused(edit('at = 0\nfrom = "EXA"', 'at = nan\nfrom = "EXA"')))


# --- found by an independent review of the first version -------------------------------------


def test_a_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + REFERENCE.encode())
    assert load_scenario(path).title.startswith("KB Q169113")
