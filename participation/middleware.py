import time
from collections.abc import Callable

from allauth.account.authentication import (
    AUTHENTICATION_METHODS_SESSION_KEY,
    get_authentication_records,
)
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from participation.ratelimit import client_address
from participation.roles import scopes_of

# Nothing on this portal needs the camera, the microphone, geolocation or payment: say so to browsers.
# `browsing-topics` opts the pages out of the Topics API (ad interests), the successor of FLoC,
# whose `interest-cohort` is retired. Only features of the current registry
# (w3c/webappsec-permissions-policy, features.md) that Chromium knows: tests/browser checks it.
PERMISSIONS_POLICY = (
    "accelerometer=(), browsing-topics=(), camera=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=()"
)


def permissions_policy(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware


class ChosenLanguageMiddleware:
    """French unless the visitor chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a French public service
    answers in French by default, and the choice made with the switch (a cookie) is the only way out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


def audit_actor(get_response: Callable[[HttpRequest], HttpResponse]):
    """Name the staff member in the audit log entries of a request that writes.

    django-auditlog's own middleware reads request.user on every request, which loads the session
    and the user even on pages that never need them; only unsafe methods write, so only they pay.
    Residents are never named (issue 20): whether the user is staff is asked only when an entry is
    written (participation.audit.staff_actor), so a request that logs nothing costs no query.
    """
    from participation.audit import staff_actor

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method in {"GET", "HEAD", "OPTIONS"} or not request.user.is_authenticated:
            return get_response(request)
        with staff_actor(request.user, remote_addr=client_address(request)):
            return get_response(request)

    return middleware


# Where staff work: nothing under these opens before the second factor.
STAFF_PATH_PREFIXES = ("/espace-pro/", "/admin/")
LAST_ACTIVITY_SESSION_KEY = "participation_last_activity"
# The last-activity stamp is rewritten at most this often, so that a page view does not write the
# session row on every request.
LAST_ACTIVITY_RESOLUTION = 60


def session_idle_timeout(get_response: Callable[[HttpRequest], HttpResponse]):
    """End a signed-in session after SESSION_IDLE_TIMEOUT seconds without a request.

    The check runs when the request first reads `request.user`, like Django's own lookup: a page that
    never needs the user (a printable view, a static-like page) still loads no session.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        # Visitors without a session cookie cost nothing here: no session is loaded.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            # A lazy user, as Django's AuthenticationMiddleware sets it (the stubs want the user).
            request.user = SimpleLazyObject(lambda: _user_unless_idle(request))  # type: ignore[assignment]
        return get_response(request)

    return middleware


def _user_unless_idle(request: HttpRequest):
    last = request.session.get(LAST_ACTIVITY_SESSION_KEY)
    now = int(time.time())
    if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
        # Not logout(): it reads request.user, which is being computed here.
        request.session.flush()
        messages.info(
            request,
            _(
                "Your session ended after %(minutes)d minutes without activity: please sign in again."
            )
            % {"minutes": settings.SESSION_IDLE_TIMEOUT // 60},
        )
        return AnonymousUser()
    if last is not None and now - last >= LAST_ACTIVITY_RESOLUTION:
        request.session[LAST_ACTIVITY_SESSION_KEY] = now
    return get_user(request)


def stamp_activity_on_login(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: the idle clock starts at the login."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_SESSION_KEY] = int(time.time())


def login_records(user, *, second_factor: bool) -> dict[str, object]:
    """The session keys allauth writes for a completed login (password, then the TOTP code).

    For the tests and the benchmark, which open sessions without typing a code; the reader is
    passed_second_factor below.
    """
    now = time.time()
    records: list[dict] = [{"method": "password", "at": now, "email": user.email}]
    if second_factor:
        records.append({"method": "mfa", "at": now, "type": "totp"})
    return {
        AUTHENTICATION_METHODS_SESSION_KEY: records,
        # allauth's own key naming the user the records belong to.
        "account_authentication_methods_user": str(user.pk),
    }


def passed_second_factor(request: HttpRequest) -> bool:
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )


def staff_mfa_required(get_response: Callable[[HttpRequest], HttpResponse]):
    """Staff pages open only to a session that passed the second factor (TOTP or a recovery code).

    A staff member without an authenticator is sent to set one up; one who has it but signed in
    without it (an older session, a login by emailed code) confirms a code. Residents and visitors
    pass through: the views answer them 403 or send them to the login page.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if (
            not settings.STAFF_MFA_REQUIRED
            or not request.path_info.startswith(STAFF_PATH_PREFIXES)
            or not request.user.is_authenticated
            or not (scopes_of(request.user).is_staff or request.user.is_superuser)
            or passed_second_factor(request)
        ):
            return get_response(request)
        has_totp = Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP
        ).exists()
        query = urlencode({"next": request.get_full_path()})
        if has_totp:
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        messages.info(
            request,
            _(
                "Your role gives access to residents' personal data: set up two-factor "
                "authentication with an authenticator app to open the professional area."
            ),
        )
        return redirect(f"{reverse('mfa_activate_totp')}?{query}")

    return middleware


# The largest id a bigint primary key holds: a longer number in a URL names nothing.
LARGEST_ID = 2**63 - 1


class PathIdsInRangeMiddleware:
    """A 404 for an `<int:...>` in the URL that no database column can hold.

    Django's int converter accepts any number of digits; SQLite raises OverflowError and PostgreSQL
    "out of range" on such a lookup, which would be a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        values = [*view_args, *view_kwargs.values()]
        if any(isinstance(value, int) and abs(value) > LARGEST_ID for value in values):
            raise Http404("No object has this id.")
        return None
