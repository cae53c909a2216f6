"""Registering for a meeting: one click with an account, an emailed link for guests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dialogue.forms.registration import GuestRegistrationForm, OneClickRegistrationForm
from dialogue.models import Meeting, Registration, RegistrationStatus
from dialogue.remembered import remember_registration
from dialogue.services.registrations import (
    RegistrationError,
    registration_cancel,
    registration_confirm_guest,
    registration_create,
)
from dialogue.tokens import InvalidLink, token_from_confirm_link, token_from_manage_link
from participation.http import AuthenticatedHttpRequest, safe_next
from participation.ratelimit import rate_limited


def _outcome_message(registration: Registration) -> str:
    if registration.status == RegistrationStatus.CONFIRMED:
        return _("You are registered. A confirmation has been sent to %(email)s.") % {
            "email": registration.email
        }
    if registration.status == RegistrationStatus.WAITLISTED:
        return _(
            "The meeting is full: you are on the waiting list. We will email you if a seat "
            "frees up."
        )
    return _("Almost done: open the email we sent to %(email)s and confirm your registration.") % {
        "email": registration.email
    }


def _meeting_or_404(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.public().with_place().with_seats(), pk=pk)


@rate_limited("guest_registration")
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(pk)
    form = GuestRegistrationForm(request.POST or None)
    error = None
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                # A lone checkbox: the form is always valid (unticked or absent means no).
                one_click = OneClickRegistrationForm(request.POST)
                one_click.is_valid()
                registration = registration_create(
                    meeting=meeting,
                    user=request.user,
                    # The account's name, or none: an email address is never printed as a name.
                    name=request.user.full_name,
                    email=request.user.email,
                    comeback_opt_in=one_click.cleaned_data.get("comeback_opt_in", False),
                )
            elif form.is_spam:
                # A robot filled the hidden field: answer as for a person, create nothing.
                messages.success(request, _("Almost done: open the email we sent and confirm."))
                return redirect(meeting)
            elif form.is_valid():
                data = {key: value for key, value in form.cleaned_data.items() if key != "website"}
                registration = registration_create(meeting=meeting, **data)
            else:
                registration = None
        except RegistrationError as exc:
            error = exc.messages[0]
            registration = None
        if registration is not None:
            messages.success(request, _outcome_message(registration))
            return redirect(meeting)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "dialogue/register.html",
        {"meeting": meeting, "form": form, "error": error},
        status=status,
    )


def _invalid_link(request: HttpRequest, exc: InvalidLink) -> HttpResponse:
    return render(request, "dialogue/link_invalid.html", {"expired": exc.expired}, status=400)


@require_http_methods(["GET", "POST"])
def confirm_guest(request: HttpRequest, signed: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that open links confirm nothing."""
    try:
        token = token_from_confirm_link(signed)
    except InvalidLink as exc:
        return _invalid_link(request, exc)
    registration = get_object_or_404(
        Registration.objects.select_related("meeting__dialogue_space__qpv"), token=token
    )
    error = None
    if request.method == "POST":
        try:
            registration = registration_confirm_guest(registration=registration)
        except RegistrationError as exc:
            error = exc.messages[0]
        else:
            # The meeting page now knows this guest: "you are registered", cancel, calendar.
            remember_registration(request, registration)
            messages.success(request, _outcome_message(registration))
            return redirect(registration.meeting)
    return render(
        request,
        "dialogue/registration_confirm.html",
        {"registration": registration, "meeting": registration.meeting, "error": error},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, signed: str) -> HttpResponse:
    """The link of every registration email: see the registration, cancel it."""
    try:
        token = token_from_manage_link(signed)
    except InvalidLink as exc:
        return _invalid_link(request, exc)
    registration = get_object_or_404(
        Registration.objects.select_related("meeting__dialogue_space__qpv"), token=token
    )
    if registration.user_id is None and registration.is_active:
        # The link proves the guest owns it: their meeting page will show it (confirmed ones).
        remember_registration(request, registration)
    error = None
    if request.method == "POST":
        try:
            registration_cancel(registration=registration)
        except RegistrationError as exc:
            error = exc.messages[0]
        else:
            messages.success(
                request, _("Your registration is cancelled. Thank you for telling us.")
            )
            return redirect(registration.meeting)
    return render(
        request,
        "dialogue/registration_manage.html",
        {"registration": registration, "meeting": registration.meeting, "error": error},
        status=400 if error else 200,
    )


@login_required
def my_registrations(request: AuthenticatedHttpRequest) -> HttpResponse:
    registrations = (
        Registration.objects.filter(user=request.user)
        .exclude(status=RegistrationStatus.PENDING)
        .select_related("meeting__dialogue_space__qpv")
        .order_by("-meeting__starts_at")
    )
    return render(request, "dialogue/my_registrations.html", {"registrations": registrations})


@login_required
@require_POST
def cancel_mine(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    registration = Registration.objects.filter(user=request.user, pk=pk).first()
    if registration is None:
        raise Http404
    try:
        registration_cancel(registration=registration)
    except RegistrationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("dialogue:my_registrations")
    messages.success(request, _("Your registration is cancelled. Thank you for telling us."))
    return redirect(safe_next(request, default=reverse("dialogue:my_registrations")))
