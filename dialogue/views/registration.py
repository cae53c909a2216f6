"""Registering for a meeting: one click with an account; for guests, an emailed link or a code
sent by SMS (typed on the code page, in the same browser session)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dialogue.forms.registration import (
    GuestRegistrationForm,
    OneClickRegistrationForm,
    RegistrationCodeForm,
)
from dialogue.models import Meeting, Registration, RegistrationStatus
from dialogue.remembered import remember_registration
from dialogue.services.comeback import comeback_opt_out
from dialogue.services.registrations import (
    RegistrationError,
    registration_cancel,
    registration_code_resend,
    registration_confirm_code,
    registration_confirm_guest,
    registration_create,
)
from dialogue.tokens import (
    InvalidLink,
    registration_id_from_comeback_link,
    token_from_confirm_link,
    token_from_manage_link,
)
from participation.http import AuthenticatedHttpRequest, safe_next
from participation.ratelimit import allow, rate_limited
from participation.unsubscribe import InvalidUnsubscribeLink, invalid_link

# The guest registrations waiting for their SMS code in this browser: {meeting pk: registration pk}.
SMS_PENDING_SESSION_KEY = "dialogue_sms_pending"


def _outcome_message(registration: Registration) -> str:
    if registration.by_sms_only:
        if registration.status == RegistrationStatus.CONFIRMED:
            return _("You are registered. A confirmation has been sent by SMS to %(phone)s.") % {
                "phone": registration.phone_display
            }
        return _(
            "The meeting is full: you are on the waiting list. We will text you if a seat frees up."
        )
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


def _may_send_code(request: HttpRequest, number: str) -> bool:
    """The rate limits of the codes sent by SMS: per client address, then per number (keyed by a
    keyed digest: the cache holds no phone number)."""
    digest = salted_hmac("dialogue.registration.code.limit", number).hexdigest()[:24]
    return allow(request, "registration_code") and allow(
        request, "registration_code_number", key=f"number:{digest}"
    )


def _remember_code_page(request: HttpRequest, registration: Registration) -> None:
    pending = dict(request.session.get(SMS_PENDING_SESSION_KEY, {}))
    pending[str(registration.meeting_id)] = registration.pk
    request.session[SMS_PENDING_SESSION_KEY] = pending


def _forget_code_page(request: HttpRequest, meeting: Meeting) -> None:
    pending = dict(request.session.get(SMS_PENDING_SESSION_KEY, {}))
    if pending.pop(str(meeting.pk), None) is not None:
        request.session[SMS_PENDING_SESSION_KEY] = pending


def _waiting_for_code(request: HttpRequest, meeting: Meeting) -> Registration | None:
    """The registration of this browser waiting for its SMS code at this meeting, if any."""
    pk = request.session.get(SMS_PENDING_SESSION_KEY, {}).get(str(meeting.pk))
    if pk is None:
        return None
    return (
        Registration.objects.filter(
            pk=pk, meeting=meeting, status=RegistrationStatus.PENDING, email=""
        )
        .exclude(phone="")
        .first()
    )


def _guest_registration(
    request: HttpRequest, meeting: Meeting, form: GuestRegistrationForm
) -> Registration | None:
    """The guest's registration, or None when the form is invalid. A guest without an email gets
    a code by SMS: rate limited, RegistrationError when over the limit."""
    if not form.is_valid():
        return None
    data = {key: value for key, value in form.cleaned_data.items() if key != "website"}
    if not data["email"] and not _may_send_code(request, data["phone"]):
        # A code by SMS costs money and reaches someone's phone.
        raise RegistrationError(_too_many_codes(), code="rate_limited")
    return registration_create(meeting=meeting, **data)


@rate_limited("guest_registration")
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(pk)
    form = GuestRegistrationForm(request.POST or None)
    error = None
    status = 200
    if request.method == "POST":
        status = 400
        registration: Registration | None
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
            else:
                registration = _guest_registration(request, meeting, form)
        except RegistrationError as exc:
            error = exc.messages[0]
            status = 429 if exc.code == "rate_limited" else 400
            registration = None
        if registration is not None:
            if registration.status == RegistrationStatus.PENDING and registration.by_sms_only:
                _remember_code_page(request, registration)
                return redirect("dialogue:registration_code", pk=meeting.pk)
            messages.success(request, _outcome_message(registration))
            return redirect(meeting)
    return render(
        request,
        "dialogue/register.html",
        {"meeting": meeting, "form": form, "error": error},
        status=status,
    )


def _too_many_codes() -> str:
    return _("Too many codes have been asked for: wait an hour, or register with an email address.")


@rate_limited("registration_code_check")
@require_http_methods(["GET", "POST"])
def registration_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The code received by SMS, typed by a guest registered with a mobile number: POST checks it
    (or, with "resend", sends a new one). Reached from the registration form, in its session."""
    meeting = _meeting_or_404(pk)
    registration = _waiting_for_code(request, meeting)
    if registration is None:
        _forget_code_page(request, meeting)
        messages.info(
            request, _("To receive a code by SMS, register with your mobile number below.")
        )
        return redirect(meeting)
    resend = request.method == "POST" and "resend" in request.POST
    form = RegistrationCodeForm(request.POST if request.method == "POST" and not resend else None)
    error = None
    status = 200
    if resend:
        if _may_send_code(request, registration.phone):
            registration_code_resend(registration=registration)
            messages.success(
                request,
                _("A new code has been sent to %(phone)s.") % {"phone": registration.phone_display},
            )
            return redirect("dialogue:registration_code", pk=meeting.pk)
        error, status = _too_many_codes(), 429
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                registration = registration_confirm_code(
                    registration=registration, code=form.cleaned_data["code"]
                )
            except RegistrationError as exc:
                form.add_error("code", exc.messages[0])
            else:
                _forget_code_page(request, meeting)
                messages.success(request, _outcome_message(registration))
                return redirect(meeting)
    return render(
        request,
        "dialogue/registration_code.html",
        {"meeting": meeting, "registration": registration, "form": form, "error": error},
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


# The link of the come-back invitation (participation.unsubscribe): GET asks, POST stops, no login;
# mail providers POST it as RFC 8058 one-click, without cookies or CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def comeback_unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        registration_id = registration_id_from_comeback_link(signed)
    except InvalidUnsubscribeLink:
        return invalid_link(request)
    done = request.method == "POST"
    if done:
        comeback_opt_out(registration_id=registration_id)
    return render(request, "dialogue/comeback_unsubscribe.html", {"done": done})


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
