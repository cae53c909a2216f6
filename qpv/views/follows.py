from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from qpv.models import QPV
from qpv.services.follows import (
    InvalidUnsubscribeLink,
    follow_create,
    follow_delete,
    follow_unsubscribe,
)

# Following a QPV. The buttons are POST forms on the QPV page; a visitor is sent to log in and
# comes back to the QPV page (not to the POST-only URL, which would answer 405 to the redirect).


@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV, slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(qpv.get_absolute_url())
    follow_create(user=request.user, qpv=qpv)
    messages.success(
        request,
        _("You now follow %(qpv)s: its new meetings will reach you in a weekly email.")
        % {"qpv": qpv.name},
    )
    return redirect(qpv)


@require_POST
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV, slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(qpv.get_absolute_url())
    follow_delete(user=request.user, qpv=qpv)
    messages.success(request, _("You no longer follow %(qpv)s.") % {"qpv": qpv.name})
    return redirect(qpv)


# One click from the email, no login: GET as the brief of the digest asks, and POST for mail
# providers that implement RFC 8058 one-click unsubscribe (they send no CSRF token).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        qpvs = follow_unsubscribe(signed=signed)
    except InvalidUnsubscribeLink:
        return render(request, "qpv/unsubscribe_invalid.html", status=400)
    return render(request, "qpv/unsubscribed.html", {"qpvs": qpvs})
