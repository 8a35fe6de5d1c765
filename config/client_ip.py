"""The client's IP address, the one way every throttle and the login lockout find it.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only as far
as ``TRUSTED_PROXY_COUNT`` proxies of our own appended to it: each appends the address it
received the request from, so with N trusted proxies the client is the N-th address from
the right. With the default of 0 the header is ignored and the client is the peer of the
socket (``REMOTE_ADDR``): rotating the header then changes nothing.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest | Request) -> str:
    """The address of the client that sent ``request``, as far as trusted proxies tell."""
    remote_addr = request.META.get("REMOTE_ADDR", "") or ""
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop]
        if hops:
            # Fewer hops than proxies: the leftmost is the furthest one we can trust.
            found = _valid_ip(hops[-min(trusted, len(hops))])
            if found:
                return found
    return remote_addr


def from_trusted_proxy() -> bool:
    """Whether the request headers set by a proxy (X-Forwarded-For, X-Request-ID) are ours."""
    return settings.TRUSTED_PROXY_COUNT > 0
