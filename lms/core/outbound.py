"""Outbound HTTP to addresses that someone other than the site's operator chose.

An organization's admin types the address of a school sign-in provider or an LTI platform, and a
platform's launch names the service URLs Circles calls back (roster, line items, scores). Fetching
such an address from the server must not reach the server's own network: the cloud's metadata
service at 169.254.169.254, the database, Redis, an internal admin page (server-side request
forgery; OWASP's SSRF Prevention Cheat Sheet). The rule is Canvas's (`CanvasHttp.insecure_host?`:
resolve the host and refuse an address in the blocked ranges), with every address that is not
globally routable blocked: loopback, private (RFC 1918, fc00::/7), link-local, shared (RFC 6598),
multicast and reserved. A school's own provider on its network is allowed by listing its host in
`OUTBOUND_ALLOWED_HOSTS` (site configuration). Addresses the site admin configures are trusted and
not checked.

The check runs before every request a guarded session sends, redirects included. It resolves the
host itself, so a name that resolves differently a moment later (DNS rebinding) is not caught: the
same limit as Canvas's rule.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from flask import current_app


class OutboundRefused(requests.RequestException):
    """A guarded request's address is not on the public internet (or not http/https). A subclass of
    requests' own error, so every caller's `except requests.RequestException` reports it as a failed
    connection; `str()` names the host."""


def refusal(url: str) -> str | None:
    """Why `url` may not be fetched by a guarded session, or None when it may: its scheme is not
    http(s), it names no host, or its host resolves to an address that is not globally routable and
    is not listed in OUTBOUND_ALLOWED_HOSTS. A host that does not resolve is left to the request
    itself to report."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) address"
    host = parts.hostname.lower().rstrip(".")
    allowed = {name.lower() for name in current_app.config.get("OUTBOUND_ALLOWED_HOSTS", ())}
    if host in allowed:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global:
            return f"{host} is on a private or reserved network ({address})"
    return None


class GuardedSession(requests.Session):
    """A requests session that refuses, before sending, every request (each redirect too) whose
    address `refusal` names a reason for."""

    def send(self, request: requests.PreparedRequest, **kwargs):  # type: ignore[override]
        reason = refusal(request.url or "")
        if reason:
            raise OutboundRefused(reason, request=request)
        return super().send(request, **kwargs)


def session(*, guarded: bool) -> requests.Session:
    """A session for one exchange: guarded when the address came from an organization's admin or a
    remote party, a plain one when the site's operator configured it. Use it as a context manager."""
    return GuardedSession() if guarded else requests.Session()
