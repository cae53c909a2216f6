from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

# Pages reached by a signed link: their printed address would carry the token.
SIGNED_LINK_PAGES = {"registration_manage", "feedback", "unsubscribe"}


def territory(request: HttpRequest) -> dict:
    """The QPV menu of the header, queried only when a template reads it; the site's public
    address for printed pages (SITE_URL, not the request's Host)."""
    from qpv.models import QPV

    match = getattr(request, "resolver_match", None)
    signed = match is not None and match.url_name in SIGNED_LINK_PAGES
    return {
        "menu_qpvs": SimpleLazyObject(lambda: list(QPV.objects.for_listing())),
        "print_address": "" if signed else settings.SITE_URL + request.path,
    }
