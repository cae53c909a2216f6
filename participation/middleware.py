from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# Nothing on this portal needs the camera, the microphone, geolocation or payment: say so to browsers.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
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
        from django.conf import settings
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
    """Name the user in the audit log entries of a request that writes.

    django-auditlog's own middleware reads request.user on every request, which loads the session
    and the user even on pages that never need them; only unsafe methods write, so only they pay.
    """
    from auditlog.context import set_actor

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method in {"GET", "HEAD", "OPTIONS"} or not request.user.is_authenticated:
            return get_response(request)
        with set_actor(actor=request.user, remote_addr=request.META.get("REMOTE_ADDR")):
            return get_response(request)

    return middleware
