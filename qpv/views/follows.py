from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from participation.unsubscribe import InvalidUnsubscribeLink, invalid_link
from qpv.models import QPV
from qpv.selectors import followed_qpvs
from qpv.services.follows import (
    follow_create,
    follow_delete,
    follow_ids_from_unsubscribe_link,
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


# The link of the follow emails (participation.unsubscribe): GET asks, POST stops, no login; mail
# providers POST it as RFC 8058 one-click unsubscribe, without cookies or CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        follow_ids = follow_ids_from_unsubscribe_link(signed)
    except InvalidUnsubscribeLink:
        return invalid_link(request)
    if request.method == "POST":
        qpvs = follow_unsubscribe(follow_ids=follow_ids)
        return render(request, "qpv/unsubscribed.html", {"qpvs": qpvs})
    return render(request, "qpv/unsubscribe.html", {"qpvs": followed_qpvs(follow_ids)})
