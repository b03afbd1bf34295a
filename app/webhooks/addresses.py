"""Which addresses a webhook may be sent to (no Flask, no database).

Only ``http`` and ``https`` URLs with a host. Unless private addresses are allowed
(``DESKGRAPH_WEBHOOK_ALLOW_PRIVATE``, off in production by default), the host must resolve
only to public addresses: a subscription must not make the desk a proxy into its own network
(loopback, RFC 1918, link-local cloud metadata at 169.254.169.254, ...). The check runs when
an administrator saves the URL (literal addresses) and again before each delivery (names,
which may resolve elsewhere later).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from app.i18n import N_

SCHEMES = ("http", "https")


class RefusedAddress(ValueError):
    """A URL the desk will not send a webhook to; the message says why (in English; a page
    shows ``message`` with ``values`` in the reader's language)."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values


def check_url(url: str, *, allow_private: bool) -> None:
    """Check a URL's shape (and a literal address) when it is saved.

    :raise RefusedAddress: not http(s), no host, or a private literal address.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedAddress(N_("This is not a valid URL.")) from None
    if parts.scheme.lower() not in SCHEMES:
        raise RefusedAddress(N_("The URL must start with http:// or https://."))
    if not parts.hostname:
        raise RefusedAddress(N_("The URL has no host name."))
    if port == 0:
        raise RefusedAddress(N_("The URL's port is not valid."))
    if allow_private:
        return
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return  # a name: resolved before each delivery
    if not literal.is_global:
        raise RefusedAddress(
            N_("%(address)s is a private address; webhooks go to public ones."),
            address=str(literal),
        )


def check_destination(url: str, *, allow_private: bool) -> None:
    """Before a delivery: the URL is valid and its host resolves to public addresses only.

    :raise RefusedAddress: the URL is refused, the name does not resolve, or it resolves to
        a private address.
    """
    check_url(url, allow_private=allow_private)
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise RefusedAddress(
            N_("%(host)s does not resolve (%(error)s)."), host=host, error=str(error)
        ) from None
    for _family, _type, _proto, _name, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not address.is_global:
            raise RefusedAddress(
                N_("%(host)s resolves to %(address)s, a private address."),
                host=host,
                address=str(address),
            )
