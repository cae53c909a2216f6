"""Abuse limits on the anonymous and resident forms that create rows or send emails.

Counted in the shared cache (Redis in production, so every web process sees the same counters): per
account for a logged-in user, per client address otherwise. Residents who register together on a
community centre's wifi share one address; their accounts already identify them, so one of them
never uses up the others' allowance. Login and codes are limited by allauth itself
(ACCOUNT_RATE_LIMITS).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str:
    """The client's address; behind the proxy, its first X-Forwarded-For hop (set by nginx)."""
    if settings.USE_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


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
