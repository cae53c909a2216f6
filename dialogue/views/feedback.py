"""The anonymous survey after a meeting: the form behind each token, answers on the spot by QR code.

No login needed on the residents' side: the token is the right to answer, once. The token given
on the spot is kept in the browser's session (one per meeting, so reloading does not mint more)
only until it is used; then the session keeps "answered" and no longer the token. An account that
attended may also answer from "Mon espace" (`feedback_mine`), with the token of its invitation.

Abuse: anybody can open the on-the-spot link from many fresh sessions and answer many times. Rate
limits (per address, per meeting) come with the abuse-protection issue; until then the staff see
the number of tokens next to the number of answers on the meeting log.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dialogue.forms.feedback import FeedbackForm
from dialogue.models import FeedbackToken, Meeting, Registration
from dialogue.services.feedback import (
    FeedbackError,
    feedback_deadline,
    feedback_is_open,
    feedback_submit,
    feedback_token_for_account,
    feedback_token_lookup,
    feedback_token_of_account,
    feedback_tokens_create,
)
from dialogue.shortcuts import meeting_for
from participation.http import AuthenticatedHttpRequest
from participation.ratelimit import rate_limited

SESSION_KEY = "feedback_on_the_spot"
ANSWERED = "answered"


def _closed(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Not open yet (200: come back later), or closed for good (410)."""
    not_yet = not meeting.is_cancelled and timezone.now() < meeting.starts_at
    return render(
        request,
        "dialogue/feedback/closed.html",
        {"meeting": meeting, "not_yet": not_yet},
        status=200 if not_yet else 410,
    )


def _answered(request: HttpRequest, meeting: Meeting, *, status: int = 200) -> HttpResponse:
    return render(request, "dialogue/feedback/answered.html", {"meeting": meeting}, status=status)


def _on_the_spot_tokens(request: HttpRequest) -> dict[str, str]:
    return request.session.get(SESSION_KEY, {})


def _forget_on_the_spot_token(request: HttpRequest, meeting: Meeting, token: str) -> None:
    """Once used, the session keeps that this meeting was answered, and no longer the token."""
    tokens = _on_the_spot_tokens(request)
    if tokens.get(str(meeting.pk)) == token:
        request.session[SESSION_KEY] = {**tokens, str(meeting.pk): ANSWERED}


def _unlogged(view):
    """The path holds the token: keep it out of django.request's warnings on 4xx responses
    (400 invalid answer, 404, 409, 410), which would otherwise write it to the logs."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response._has_been_logged = True  # read by django.utils.log.log_response
        return response

    return wrapper


def _survey(
    request: HttpRequest, meeting: Meeting, token: Callable[[], FeedbackToken], *, raw: str = ""
) -> HttpResponse:
    """The form of an open survey and its answer, with the token `token()` gives at the answer."""
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feedback_submit(token=token(), data=form.cleaned_data)
        except FeedbackError as exc:
            if exc.code == "used":
                return _answered(request, meeting, status=409)
            if exc.code == "closed":
                return _closed(request, meeting)
            form.add_error(None, exc)
        else:
            if raw:
                _forget_on_the_spot_token(request, meeting, raw)
            return render(request, "dialogue/feedback/thanks.html", {"meeting": meeting})
    return render(
        request,
        "dialogue/feedback/form.html",
        {"form": form, "meeting": meeting, "deadline": feedback_deadline(meeting)},
        status=400 if form.is_bound else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@_unlogged
def feedback_form(request: HttpRequest, token: str) -> HttpResponse:
    found: FeedbackToken | None = feedback_token_lookup(token)
    if found is None:
        return render(request, "dialogue/feedback/unknown.html", status=404)
    meeting = found.meeting
    if found.used_at is not None:
        return _answered(request, meeting, status=409 if request.method == "POST" else 200)
    if not feedback_is_open(meeting):
        return _closed(request, meeting)
    return _survey(request, meeting, lambda: found, raw=token)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def feedback_mine(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The survey of a meeting the account attended, from "Mon espace": one answer per account
    (its token is the one its invitation email carried, dialogue.services.feedback)."""
    meeting = get_object_or_404(
        Meeting.objects.public()
        .select_related("dialogue_space__qpv")
        .filter(
            Exists(
                Registration.objects.filter(
                    meeting=OuterRef("pk"), user=request.user, attended=True
                )
            )
        ),
        pk=pk,
    )
    found = feedback_token_of_account(meeting=meeting, user=request.user)
    if found is not None and found.used_at is not None:
        return _answered(request, meeting, status=409 if request.method == "POST" else 200)
    if not feedback_is_open(meeting):
        return _closed(request, meeting)
    return _survey(
        request,
        meeting,
        lambda: found or feedback_token_for_account(meeting=meeting, user=request.user),
    )


@never_cache
@rate_limited("feedback_on_the_spot", methods=("GET",))
@require_GET
def feedback_on_the_spot(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR code's target: a fresh token for this browser, then the form."""
    meeting = get_object_or_404(
        Meeting.objects.public().select_related("dialogue_space__qpv"), pk=pk
    )
    if not feedback_is_open(meeting):
        return _closed(request, meeting)
    tokens = _on_the_spot_tokens(request)
    token = tokens.get(str(meeting.pk))
    if token == ANSWERED:
        return _answered(request, meeting)
    if token is None:
        (token,) = feedback_tokens_create(meeting=meeting, count=1)
        request.session[SESSION_KEY] = {**tokens, str(meeting.pk): token}
    return redirect("dialogue:feedback", token=token)


@login_required
@require_GET
def feedback_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """A page to project or print at the meeting: a big QR code to answer on the spot."""
    meeting = meeting_for(request, pk, "dialogue.log_meeting")
    url = settings.SITE_URL + reverse("dialogue:feedback_on_the_spot", args=[meeting.pk])
    # segno writes no style attribute (the CSP forbids them) and escapes the title.
    svg = segno.make(url, error="m").svg_inline(
        scale=1,
        omitsize=True,
        svgclass="feedback-qr-code",
        lineclass=None,
        title=_("QR code of the address %(url)s") % {"url": url},
    )
    return render(
        request,
        "dialogue/feedback/qr.html",
        {
            "meeting": meeting,
            "url": url,
            "qr_svg": mark_safe(svg.replace("<svg ", '<svg role="img" ', 1)),
            "is_open": feedback_is_open(meeting),
            "not_yet": timezone.now() < meeting.starts_at,
            "deadline": feedback_deadline(meeting),
        },
    )
