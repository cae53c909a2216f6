"""Abuse limits on the anonymous and resident forms that create rows or send emails.

Counted in the shared cache (Redis in production, so every web process sees the same counters): per
account for a logged-in user, per client address otherwise. Residents who register together on a
community centre's wifi share one address; their accounts already identify them, so one of them
never uses up the others' allowance. Login and codes are limited by allauth itself
(ACCOUNT_RATE_LIMITS).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str:
    """The client's address, the one every limit and the audit log count (allauth's too, through
    participation.adapters).

    With no reverse proxy (settings.TRUSTED_PROXIES = 0), REMOTE_ADDR. Behind N proxies of ours,
    each appends the address it was reached from to X-Forwarded-For (nginx sets it to its peer's
    address), so the N-th entry from the right is the client as our first proxy saw it; entries
    to its left were written by the client and may be anything. Fewer entries than proxies, or an
    entry that is not an address: REMOTE_ADDR (a misconfiguration, never a way to pick a bucket).
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").strip()
    entries = forwarded.split(",") if forwarded else []
    if len(entries) < proxies:
        return remote
    return _ip_address(entries[-proxies]) or remote


def _ip_address(entry: str) -> str | None:
    """The address in an X-Forwarded-For entry, normalised (IPv6 compressed); None if it is none.

    A port is dropped ("192.0.2.1:443", "[2001:db8::1]:443"), as some proxies write one."""
    text = entry.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_key(request: HttpRequest) -> str:
    """Whom a limit counts: the account when logged in, else the client address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{client_address(request)}"


def allow(request: HttpRequest, action: str, *, key: str | None = None) -> bool:
    """Count one hit of `action`; False once the limit of settings.RATE_LIMITS is passed.

    `key` counts something else than the client: a phone number the SMS go to, say (pass a
    digest, not the number: the keys are visible to whoever reads the cache).
    """
    limit, seconds = settings.RATE_LIMITS[action]
    key = f"ratelimit:{action}:{key or client_key(request)}"
    cache.add(key, 0, timeout=seconds)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        hits = 1
    return hits <= limit


def rate_limited(action: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Answer 429 with a French page when the client passes the limit for `action`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods and not allow(request, action):
                return render(request, "429.html", status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
