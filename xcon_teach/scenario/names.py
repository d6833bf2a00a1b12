"""Syntax of the names and addresses a scenario may hold.

Kept apart from the model so the loader, the validator and the lab's text fields agree on one
definition of "a valid IP address" and "a valid name".
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["HOST_NAME", "IDENTIFIER", "fold", "ip_problem", "is_dotted_ip", "name_problem"]

IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
"""Names of hosts, servers, clusters and sites: NetBIOS-friendly, usable as bare TOML keys."""

HOST_NAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9_-]{0,62}))*\.?")
"""A name in HOSTS, DNS or a host-name Stack tab: labels of letters, digits, '-' and '_'."""

_DOTTED = re.compile(r"\d{1,3}(\.\d{1,3}){3}")


def fold(name: str) -> str:
    """Names compare case-insensitively (NetBIOS and DNS both ignore case)."""
    return name.casefold()


def is_dotted_ip(text: str) -> bool:
    """True if ``text`` is written as four dotted numbers (a valid IPv4 address or not)."""
    return bool(_DOTTED.fullmatch(text))


def ip_problem(text: str) -> str | None:
    """Why ``text`` is not a usable host IPv4 address, or None if it is one.

    >>> ip_problem("10.0.1.11") is None
    True
    >>> ip_problem("10.0.1.300")
    'not a valid IPv4 address'
    >>> ip_problem("0.0.0.0")
    '0.0.0.0 is INADDR_ANY, the "any address" wildcard, not an address of a host'
    """
    if ":" in text:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            return "not a valid IPv4 address"
        return "IPv6 addresses are not modelled (Exchange 5.5 and NT 4 spoke IPv4 only)"
    if not is_dotted_ip(text):
        return "not a valid IPv4 address"
    try:
        ip = ipaddress.IPv4Address(text)
    except ValueError:
        return "not a valid IPv4 address"
    if int(ip) == 0:
        return '0.0.0.0 is INADDR_ANY, the "any address" wildcard, not an address of a host'
    if ip.is_loopback:
        return "a loopback address is not an address on the network"
    if ip.is_multicast or int(ip) == 0xFFFFFFFF:
        return "not a unicast address"
    return None


def name_problem(text: str, *, dotted: bool = False) -> str | None:
    """Why ``text`` is not a valid name, or None.

    ``dotted`` allows DNS-style names with dots (HOSTS, DNS, a host-name Stack tab); without it
    the name must be a simple identifier (a host, server, cluster or site).
    """
    pattern = HOST_NAME if dotted else IDENTIFIER
    if pattern.fullmatch(text):
        return None
    if not text:
        return "must not be empty"
    if any(c.isspace() for c in text):
        return "a name cannot contain spaces"
    if dotted:
        return "not a valid host name (letters, digits, '-' and '_', in labels separated by dots)"
    return "not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)"
