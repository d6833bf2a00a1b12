"""Hypothesis strategies: random but valid scenarios, as TOML data (what ``tomllib`` returns)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

BUILDS: list[str | int] = ["rtm", "sp1", 2431, "sp2", "sp3", "sp4"]


@st.composite
def scenario_data(draw: st.DrawFn, *, max_sites: int = 3, with_actions: bool = True) -> dict[str, Any]:
    hosts: dict[str, Any] = {}
    clusters: dict[str, Any] = {}
    servers: dict[str, Any] = {}
    ips: list[str] = []
    for i in range(draw(st.integers(2, max_sites))):
        net = f"10.0.{i}."
        server: dict[str, Any] = {"site": f"SITE{i}", "build": draw(st.sampled_from(BUILDS))}
        if draw(st.booleans()):
            server["q169113_fix"] = draw(st.booleans())
        if draw(st.booleans()):
            a, b = f"N{i}A", f"N{i}B"
            hosts[a] = {"addresses": [net + "11"]}
            hosts[b] = {"addresses": [net + "12"] + ([net + "13"] if draw(st.booleans()) else [])}
            vips = [net + "20", net + "21"] if draw(st.integers(0, 3)) == 0 else [net + "20"]
            clusters[f"C{i}"] = {
                "nodes": [a, b],
                "active": draw(st.sampled_from([a, b])),
                "virtual_name": f"V{i}",
                **({"virtual_ips": vips} if len(vips) > 1 else {"virtual_ip": vips[0]}),
            }
            server["host"] = f"V{i}"
            servers[f"V{i}"] = server
            ips += hosts[a]["addresses"] + hosts[b]["addresses"] + vips
        else:
            hosts[f"H{i}"] = {"addresses": [net + "10"] + ([net + "15"] if draw(st.booleans()) else [])}
            server["host"] = f"H{i}"
            servers[f"H{i}"] = server
            ips += hosts[f"H{i}"]["addresses"]
    ips.append("10.9.9.9")  # nobody's address
    names = [*hosts, *clusters, *(c["virtual_name"] for c in clusters.values()), "GHOST"]
    pairs = [(a, b) for a in servers for b in servers if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=len(pairs), unique=True))
    # Half the time, set each chosen link up the way it works (each side's Stack tab holds the other's
    # address, both ways), so that runs reach delivery as well as refusal, NDR and failover.
    working = draw(st.booleans())
    if working:
        chosen = list(dict.fromkeys([*chosen, *((b, a) for a, b in chosen)]))

    def address_of(server: str) -> str:
        host = servers[server]["host"]
        found = next((c for c in clusters.values() if c["virtual_name"] == host), None)
        if found is not None:
            return str(found.get("virtual_ip") or found["virtual_ips"][0])
        return str(hosts[host]["addresses"][0])

    connectors = []
    for a, b in chosen:
        stack = draw(st.sampled_from(["ip", "hostname"]))
        address = draw(st.sampled_from(ips if stack == "ip" else names + ips))
        if working:
            stack, address = "ip", address_of(b)
        c: dict[str, Any] = {"server": a, "remote": b, "stack": stack, "address": address}
        if draw(st.integers(0, 3)) == 0:
            c["stack_ip_override"] = draw(st.sampled_from(ips))
        c["max_open_retries"] = draw(st.integers(0, 4))
        c["open_interval"] = draw(st.sampled_from([1, 60, 600, 2.5]))
        connectors.append(c)
    table = st.dictionaries(st.sampled_from(names), st.sampled_from(ips), max_size=4)
    name_service = {
        "hosts": draw(table),
        "dns": draw(table),
        "ptr": draw(st.dictionaries(st.sampled_from(ips), st.sampled_from(names), max_size=3)),
        "netbios": draw(st.booleans()),
    }
    routes = [(c["server"], c["remote"]) for c in connectors]
    messages = [
        {"at": at, "from": a, "to": b}
        for at, (a, b) in draw(
            st.lists(st.tuples(st.sampled_from([0, 0.5, 1, 2, 30, 600, 1000]), st.sampled_from(routes)), max_size=6)
        )
    ]
    data: dict[str, Any] = {
        "title": "generated",
        "hosts": hosts,
        "clusters": clusters,
        "servers": servers,
        "connectors": connectors,
        "names": name_service,
        "messages": messages,
        "run": {"until": draw(st.sampled_from([0, 2, 100, 1500, 4000]))},
        "model": {"hostname_stack": draw(st.sampled_from(["sender", "receiver"]))},
    }
    if draw(st.booleans()):
        data["firewall"] = {"allow_sources": draw(st.lists(st.sampled_from(ips), max_size=3, unique=True))}
    if with_actions and clusters:
        data["actions"] = [
            {"at": at, "failover": cl}
            for at, cl in draw(
                st.lists(st.tuples(st.sampled_from([0, 1, 2, 3, 500, 1200]), st.sampled_from(list(clusters))), max_size=3)
            )
        ]
    return data
