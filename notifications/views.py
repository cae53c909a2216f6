"""Residents' contact preferences, the inbound SMS webhook, and the staff's SMS counts."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications.forms import ContactPreferenceForm
from notifications.inbound import MalformedPayload, inbound_sms_receive
from notifications.models import Topic
from notifications.selectors import (
    opt_out_of,
    preference_of,
    sms_totals,
    sms_usage_by_meeting,
    sms_usage_by_month,
)
from notifications.services import (
    contact_preference_update,
    email_unsubscribe_target,
    sms_stop_for_account,
)
from notifications.services import email_unsubscribe as email_unsubscribe_service
from participation.http import AuthenticatedHttpRequest
from participation.scopes import require_perm
from participation.unsubscribe import InvalidUnsubscribeLink, invalid_link

logger = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Mes préférences de contact": per topic, email and SMS, and the mobile number."""
    preference = preference_of(request.user)
    if request.method == "POST":
        form = ContactPreferenceForm(request.POST)
        if form.is_valid():
            contact_preference_update(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your contact preferences are saved."))
            return redirect("notifications:preferences")
    else:
        form = ContactPreferenceForm(
            initial={
                "email_updates": preference.email_updates,
                "email_reminders": preference.email_reminders,
                "sms_updates": preference.sms_updates,
                "sms_reminders": preference.sms_reminders,
                "phone": preference.phone,
            }
        )
    context = {"form": form, "preference": preference, "opt_out": opt_out_of(preference.phone)}
    return render(
        request,
        "notifications/preferences.html",
        context,
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def stop_sms(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Arrêter tous les SMS": the account's number is opted out, its SMS boxes unticked."""
    sms_stop_for_account(user=request.user)
    messages.success(request, _("You will receive no more SMS from the portal."))
    return redirect("notifications:preferences")


# The link of the emails an account chose per topic (participation.unsubscribe): GET asks, POST
# stops, no login; mail providers POST it as RFC 8058 one-click, without cookies or CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        user_id, topic = email_unsubscribe_target(signed)
    except InvalidUnsubscribeLink:
        return invalid_link(request)
    context = {"topic": topic, "reminders": topic == Topic.REMINDERS, "done": False}
    if request.method == "POST":
        email_unsubscribe_service(user_id=user_id, topic=topic)
        context["done"] = True
    return render(request, "notifications/email_unsubscribe.html", context)


@csrf_exempt
def inbound_sms(request: HttpRequest, secret: str) -> HttpResponse:
    """The provider's webhook (POST /sms/entrant/<secret>/): a reply "STOP" opts its number out.

    The secret in the address is the only credential the provider can send: compared in constant
    time, and a wrong one is a 404 like any unknown page. The answer is quick and never a 500 (the
    provider would retry it): 400 for what is not JSON events, 200 otherwise."""
    expected = settings.SMS_INBOUND_SECRET
    if not expected or not constant_time_compare(secret, expected):
        raise Http404
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    try:
        payload = json.loads(request.body)
        inbound_sms_receive(payload=payload)
    except (ValueError, MalformedPayload):
        return HttpResponse("Malformed payload.\n", status=400, content_type="text/plain")
    except DatabaseError:
        # The provider retries what is not acknowledged: a 503 asks it to, a 500 would not say why.
        logger.exception("Inbound SMS not recorded.")
        return HttpResponse(status=503, headers={"Retry-After": "60"})
    return HttpResponse("OK\n", content_type="text/plain")


@login_required
@require_GET
def sms_usage(request: HttpRequest) -> HttpResponse:
    """The coordinators' SMS counts: per month and per meeting, messages and segments."""
    require_perm(request, "participation.configure")
    return render(
        request,
        "notifications/sms_usage.html",
        {
            "totals": sms_totals(),
            "months": sms_usage_by_month(),
            "meetings": sms_usage_by_meeting(),
        },
    )
