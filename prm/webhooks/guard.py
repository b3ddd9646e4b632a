"""Where a webhook may go: https URLs whose host resolves only to public addresses.

A tenant types the URL, and our servers call it: without this check a tenant could make them
reach the cloud's metadata service (169.254.169.254), the database or anything else inside the
network (server-side request forgery). The check runs when an endpoint is saved and again before
every attempt, because a name can resolve elsewhere later (DNS rebinding); the attempt then
connects to the address checked, never to a second look-up (``prm.webhooks.transport``), and
follows no redirects.

``PRM_WEBHOOKS_ALLOW_LOOPBACK`` (development and tests only; refused in production) also allows
``http://`` and loopback addresses, for a receiver on the same machine.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from prm.workflow import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052 and 8215).
NAT64_PREFIXES = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))

# The resolver, a module attribute so that tests can stand in for DNS.
getaddrinfo = socket.getaddrinfo


class UnsafeUrl(DomainError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``addresses``, all of them public) and what to ask for."""

    scheme: str
    host: str  # as sent in the Host header and for TLS (SNI, certificate check); IDNA-encoded
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]


def loopback_allowed() -> bool:
    return bool(getattr(settings, "PRM_WEBHOOKS_ALLOW_LOOPBACK", False))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any: it decides
    where the packets end up."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in prefix for prefix in NAT64_PREFIXES):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """What kind of address ``address`` is when it may not receive webhooks ("a private
    address"); None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            problem = address_problem(embedded)
            if problem is None:
                return None
            return _("%(problem)s (the IPv4 address %(v4)s inside it)") % {"problem": problem, "v4": embedded}
    if address.is_loopback:
        return None if loopback_allowed() else _("a loopback address")
    checks = (
        (address.is_unspecified, _("the unspecified address")),
        (address.is_link_local, _("a link-local address (e.g. a cloud metadata service)")),
        (address.is_multicast, _("a multicast address")),
        (address.is_reserved, _("a reserved address")),
        (address.is_private, _("a private address")),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, _("a site-local address")),
        (not address.is_global, _("not a public address")),
    )
    for failed, problem in checks:
        if failed:
            return problem
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _split(url: str) -> tuple[str, str, int, str]:
    """Scheme, IDNA host, port and path of a URL we may call, or ``UnsafeUrl``."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(_("Enter a URL of at most %(n)d characters.") % {"n": MAX_URL_LENGTH})
    if any(char <= " " or char == "\x7f" for char in url):
        raise UnsafeUrl(_("The URL contains spaces or control characters; encode them (%20)."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(_("The URL cannot be read: %(e)s.") % {"e": exc}) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not loopback_allowed()):
        raise UnsafeUrl(_("Webhooks are sent over HTTPS only: the URL must start with https://."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(_("Put no user name or password in the URL; verify our signature instead."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl(_("The URL names no host."))
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UnsafeUrl(_("The host %(h)s is not a valid name.") % {"h": host}) from exc
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address ``host`` resolves to (a literal address: itself), in the resolver's order."""
    if _is_literal(host):
        return (ipaddress.ip_address(host),)
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(_("The host %(h)s does not resolve (%(e)s).") % {"h": host, "e": exc}) from exc
    found: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        found[ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])] = None
    if not found:
        raise UnsafeUrl(_("The host %(h)s does not resolve.") % {"h": host})
    return tuple(found)


def check_url(url: str) -> Target:
    """The checked target of ``url``, or ``UnsafeUrl`` saying why it may not receive webhooks.
    Every address the host resolves to must be public: one private answer among public ones is
    enough to refuse (the next look-up could pick it)."""
    scheme, host, port, path = _split(url)
    addresses = resolve(host, port)
    for address in addresses:
        problem = address_problem(address)
        if problem is None:
            continue
        if _is_literal(host):
            message = _("Webhooks go to public addresses only: %(address)s is %(problem)s.")
        else:
            message = _(
                "Webhooks go to public addresses only: %(host)s resolves to %(address)s, %(problem)s."
            )
        raise UnsafeUrl(message % {"host": host, "address": address, "problem": problem})
    if scheme == "http" and not all(_is_loopback(address) for address in addresses):
        raise UnsafeUrl(_("Webhooks are sent over HTTPS only: the URL must start with https://."))
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(str(a) for a in addresses))
