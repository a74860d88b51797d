"""The one outbound HTTP client: webhook deliveries and department robots go through it.

An address a user typed must not turn the server into a scanner of the networks behind it, so
every request:

* resolves the host itself and refuses it when any address it resolves to is not a public unicast
  address: loopback, link-local (169.254.169.254 included), private, shared (100.64.0.0/10),
  reserved, documentation, multicast, unspecified, IPv6 site-local and unique-local, and IPv6
  forms that carry such an IPv4 address (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64). Numeric
  hosts are read the way the C resolver reads them (``0x7f000001``, ``2130706433``, ``127.1``,
  ``017700000001`` are all 127.0.0.1), so no spelling slips through;
* lets an administrator open networks on purpose (``IPPLAN_OUTBOUND_ALLOW_NETWORKS``, CIDRs,
  empty by default), e.g. a receiver on the government intranet;
* connects to the address it checked (no second lookup between check and connect, so a DNS
  answer that changes cannot move the request), while the ``Host`` header, TLS SNI and the
  certificate check keep using the name;
* follows no redirect, uses no proxy, has a connect and read timeout and an overall deadline,
  and reads at most ``read_limit`` bytes of the answer.

Callers record the status and the timing only; the body a receiver answered is never stored or
shown (otherwise the delivery log would read back whatever an internal address answers).

``validate_url`` is the same check at save time (forms, serializers, admin through the model's
validation); the send-time check runs again because names can change what they resolve to.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: NAT64 prefixes (RFC 6052 well-known, RFC 8215 local use): the last 32 bits are an IPv4 address.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
#: The answer read when a caller asks for none (enough to see the status line through).
_CHUNK = 8192


class OutboundError(Exception):
    """The request could not be made or did not complete; the message is safe to store."""


class OutboundRefused(OutboundError):
    """The address is not one the server may call (see the module docstring)."""


@dataclass(frozen=True)
class Reply:
    """What a receiver answered: the status, how long it took and at most ``read_limit`` bytes of
    the body (for a caller that must read a protocol answer; never to be stored or shown)."""

    status: int
    reason: str
    duration_ms: int
    body: bytes


# --- which addresses ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _parse_networks(value: str) -> tuple[Network, ...]:
    networks: list[Network] = []
    for item in value.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"IPPLAN_OUTBOUND_ALLOW_NETWORKS: {item!r} is not a network") from exc
    return tuple(networks)


def allowed_networks() -> tuple[Network, ...]:
    """The networks an administrator opened (``IPPLAN_OUTBOUND_ALLOW_NETWORKS``)."""
    value = getattr(settings, "IPPLAN_OUTBOUND_ALLOW_NETWORKS", "")
    if isinstance(value, list | tuple):
        value = ",".join(str(item) for item in value)
    return _parse_networks(str(value or ""))


def _not_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv4Address):
        # is_global is False for private, loopback, link-local, shared, reserved, documentation
        # and unspecified ranges, but True for multicast.
        return not ip.is_global or ip.is_multicast
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved  # ::/8 holds the mapped, compatible and NAT64 forms
        or ip.is_site_local
        or ip.is_private
        or ip.is_link_local
        or ip.is_loopback
        or ip.is_unspecified
    )


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address leads to (6to4, Teredo server and client, NAT64)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if any(ip in prefix for prefix in _NAT64):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_refused(ip: IPAddress) -> bool:
    """True when the server must not connect to ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return address_refused(ip.ipv4_mapped)  # a mapped address connects to the IPv4 host
    if any(ip.version == network.version and ip in network for network in allowed_networks()):
        return False
    if _not_public(ip):
        return True
    return isinstance(ip, ipaddress.IPv6Address) and any(address_refused(v4) for v4 in _embedded_v4(ip))


def literal_address(host: str) -> IPAddress | None:
    """The address a numeric host stands for, in any spelling the C resolver accepts; None for a
    name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host or not host or host[-1:].isalpha():
        return None
    try:
        # inet_aton reads 0x7f000001, 2130706433, 127.1 and 0177.0.0.1 as the resolver does.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (the literal itself for a numeric host); raises
    OutboundError when the name does not resolve."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise OutboundError(_("无法解析主机名 %(host)s。") % {"host": host}) from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if ip not in addresses:
            addresses.append(ip)
    return addresses


def _refusal(host: str) -> str:
    return _(
        "不允许推送到内部或保留地址(%(host)s)。如确需推送到内网,请管理员在 IPPLAN_OUTBOUND_ALLOW_NETWORKS 中放行该网段。"
    ) % {"host": host}


def _target(url: str) -> tuple[str, str, int, str, str]:
    """(scheme, host, port, Host header, path with query) of an http(s) URL; raises
    OutboundError for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundError(_("网址无效。")) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        raise OutboundError(_("网址无效。"))
    host = parts.hostname
    default_port = 443 if parts.scheme == "https" else 80
    port = port or default_port
    netloc = parts.netloc.rsplit("@", 1)[-1]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, netloc, path


def checked_addresses(url: str) -> tuple[str, str, int, str, str, IPAddress]:
    """Resolve the URL's host and check every address; the first one is the one to connect to."""
    scheme, host, port, netloc, path = _target(url)
    addresses = resolve(host, port)
    if not addresses or any(address_refused(ip) for ip in addresses):
        raise OutboundRefused(_refusal(host))
    return scheme, host, port, netloc, path, addresses[0]


def validate_url(value: str) -> None:
    """Save-time check of a receiver address: ValidationError when its host is (or resolves to)
    an address the server may not call. A name that does not resolve from here is accepted (an
    intranet name may resolve only where the workers run); the send-time check refuses it then."""
    try:
        _scheme, host, port, _netloc, _path = _target(value)
    except OutboundError:
        return  # the field's own validator says what is wrong with the format
    try:
        addresses = resolve(host, port)
    except OutboundError:
        return
    if any(address_refused(ip) for ip in addresses):
        raise ValidationError(_refusal(host), code="address_refused")


def status_text(status: int) -> str:
    """``HTTP 503 Service Unavailable``: the standard phrase, not the receiver's own words."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP {status} {phrase}".strip()


# --- the request -------------------------------------------------------------------------------


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    read_limit: int = 0,
) -> Reply:
    """POST ``body`` to ``url`` once, pinned to the address checked, without redirects or proxy.

    Raises OutboundRefused for a refused address and OutboundError when the request fails (DNS,
    connection, TLS, timeout); a status of any kind is a Reply.
    """
    scheme, host, port, netloc, path, ip = checked_addresses(url)
    started = time.monotonic()
    deadline = started + 2 * timeout
    # identity: what is read is what was sent (no decompression of a crafted answer)
    request_headers = {"Accept-Encoding": "identity", **headers, "Host": netloc}
    pool_options = {
        "host": str(ip),
        "port": port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": False,
        "maxsize": 1,
    }
    pool: urllib3.HTTPConnectionPool
    if scheme == "https":
        named = literal_address(host) is None
        pool = urllib3.HTTPSConnectionPool(
            **pool_options,  # type: ignore[arg-type]
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=host if named else None,
            assert_hostname=host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(**pool_options)  # type: ignore[arg-type]
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers=request_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            received = bytearray()
            while len(received) < read_limit and time.monotonic() < deadline:
                chunk = response.read(min(_CHUNK, read_limit - len(received)), decode_content=True)
                if not chunk:
                    break
                received.extend(chunk)
            return Reply(
                status=response.status,
                reason=str(response.reason or ""),
                duration_ms=round((time.monotonic() - started) * 1000),
                body=bytes(received[:read_limit]),
            )
        finally:
            response.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise OutboundError(f"{type(exc).__name__}: {exc}"[:300]) from exc
    finally:
        pool.close()
