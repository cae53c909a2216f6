"""The participation fund: public envelopes, online applications, the staff's pages.

Public: /fonds/ shows, per year and per QPV (or commune), the envelope and what is committed, paid
and left, with the actions funded (titles and collectives are public; contacts never are), and the
link to apply to this year's envelopes; /fonds/<pk>/candidater/ is the application form (an
account is needed). Staff (referents of the commune, coordinators; projects.manage_fund and
projects.decide_grant): the envelopes of their scope, setting and changing them, and one
envelope's applications with the committee's decisions and the payments. The writes are in
projects.services.fund, whose refusals (FundError) come back on the right field.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dialogue.models import Meeting, MeetingStatus
from participation.http import AuthenticatedHttpRequest
from participation.ratelimit import rate_limited
from participation.scopes import get_object_for, require_perm, require_perm_somewhere
from projects.forms.fund import (
    ApplicationForm,
    DecisionForm,
    EnvelopeAmountForm,
    EnvelopeForm,
    FileCheckForm,
    PaymentForm,
)
from projects.models import FundEnvelope, GrantApplication, GrantPayment, GrantStatus
from projects.selectors import (
    applications_with_paid,
    euros,
    place_name,
    totals_by_year,
    with_consumption,
    with_place,
)
from projects.services import fund as services
from qpv.models import QPV, Commune

# The committee decides at a meeting of the last months: the choice lists the latest ones.
COMMITTEE_MEETINGS = 60


def _places_of(user) -> tuple[list[QPV], list[Commune]]:
    """The QPV and communes where the user sets envelopes (projects.manage_fund)."""
    qpvs = QPV.objects.visible_to(user, "projects.manage_fund").order_by("name")
    communes = Commune.objects.visible_to(user, "projects.manage_fund").order_by("name")
    return list(qpvs), list(communes)


def _require_fund_staff(request: HttpRequest) -> None:
    """The staff pages of the fund are for those who set envelopes somewhere (else 403)."""
    require_perm_somewhere(request, "projects.manage_fund", QPV.objects.all())


def _ordered(envelopes):
    """By year (latest first), then commune, the commune-wide envelope before its QPV's."""
    return envelopes.order_by(
        "-year",
        Coalesce("qpv__commune__name", "commune__name"),
        F("qpv__name").asc(nulls_first=True),
        "pk",
    )


def _by_year(envelopes: list[FundEnvelope]) -> list[tuple[int, list[FundEnvelope]]]:
    return [
        (year, list(rows)) for year, rows in groupby(envelopes, key=lambda envelope: envelope.year)
    ]


def _add_error(form, error: services.FundError, fields: dict[str, str]) -> None:
    """The service's refusal goes on the field it is about (by its code), else on the form."""
    form.add_error(fields.get(error.code or ""), error)


# Public -------------------------------------------------------------------------------------------


@require_GET
def envelopes(request: HttpRequest) -> HttpResponse:
    """Per year and place: envelope, committed, paid, left, and the actions funded."""
    granted = GrantApplication.objects.filter(status=GrantStatus.GRANTED).only(
        "pk", "envelope_id", "title", "collective_name", "amount_granted"
    )
    rows = list(
        _ordered(with_consumption(with_place(FundEnvelope.objects.all()))).prefetch_related(
            Prefetch(
                "applications",
                queryset=granted.order_by("-amount_granted", "pk"),
                to_attr="granted_applications",
            )
        )
    )
    this_year = timezone.localdate().year
    totals = totals_by_year(FundEnvelope.objects.all())
    years = [(year, totals[year], envelopes_of_year) for year, envelopes_of_year in _by_year(rows)]
    # The envelopes open to applications, by commune: a compact list of links, also on a phone.
    open_envelopes = sorted(
        (envelope for envelope in rows if envelope.year >= this_year),
        key=lambda envelope: (
            _commune_name(envelope),
            envelope.qpv_id is not None,
            place_name(envelope),
            envelope.year,
        ),
    )
    return render(
        request,
        "projects/envelopes.html",
        {
            "years": years,
            "this_year": this_year,
            "apply_groups": [
                (commune, list(envelopes_of_commune))
                for commune, envelopes_of_commune in groupby(open_envelopes, key=_commune_name)
            ],
        },
    )


def _commune_name(envelope: FundEnvelope) -> str:
    commune = envelope.qpv.commune if envelope.qpv is not None else envelope.commune
    assert commune is not None  # an envelope is of a QPV or of a commune (envelope_qpv_xor_commune)
    return commune.name


@login_required
@rate_limited("grant_application")
@require_http_methods(["GET", "POST"])
def grant_apply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A residents' collective applies to an envelope (this year's or a later one)."""
    envelope = get_object_or_404(with_consumption(with_place(FundEnvelope.objects.all())), pk=pk)
    is_open = services.is_open_for_applications(envelope)
    projects = list(services.projects_for(envelope).only("pk", "title").order_by("title"))
    user = request.user
    form = ApplicationForm(
        request.POST if request.method == "POST" and is_open else None,
        projects=projects,
        initial={"contact_name": user.full_name, "contact_email": user.email},
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.grant_apply(
                envelope=envelope,
                title=data["title"],
                description=data["description"],
                collective_name=data["collective_name"],
                contact_name=data["contact_name"],
                contact_email=data["contact_email"],
                contact_phone=data["contact_phone"],
                amount_requested=data["amount_requested"],
                budget_lines=data["budget_lines"],
                project=data.get("project"),
                by=user,
            )
        except services.FundError as error:
            _add_error(
                form,
                error,
                {
                    "amount_positive": "amount_requested",
                    "above_envelope": "amount_requested",
                    "total_mismatch": "amount_requested",
                    "project": "project",
                },
            )
        else:
            messages.success(
                request,
                _(
                    "Your application “%(title)s” is received. A confirmation is sent to "
                    "%(email)s; the residents' committee will examine it."
                )
                % {"title": application.title, "email": application.contact_email},
            )
            # The resident follows the application from "Mon espace", where it is now listed.
            return redirect(reverse("account_home") + "#fph")
    refused = request.method == "POST"
    return render(
        request,
        "projects/fund_apply.html",
        {"envelope": envelope, "place": place_name(envelope), "form": form, "is_open": is_open},
        status=400 if refused else 200,
    )


# Staff: envelopes ---------------------------------------------------------------------------------


@login_required
@require_GET
def staff_envelopes(request: HttpRequest) -> HttpResponse:
    """The envelopes of the user's scope by year, with their consumption."""
    _require_fund_staff(request)
    envelopes_in_scope = FundEnvelope.objects.visible_to(request.user)
    rows = list(_ordered(with_consumption(with_place(envelopes_in_scope))))
    this_year = timezone.localdate().year
    # The QPV of the scope still without an envelope this year: one click to set it.
    qpvs = QPV.objects.for_listing().visible_to(request.user, "projects.manage_fund")
    missing = list(qpvs.exclude(envelopes__year=this_year))
    return render(
        request,
        "projects/envelope_staff_list.html",
        {
            "years": _by_year(rows),
            "this_year": this_year,
            "missing": missing,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def envelope_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_fund_staff(request)
    qpvs, communes = _places_of(request.user)
    this_year = timezone.localdate().year
    initial = {"year": this_year, "place": request.GET.get("place", "")}
    form = EnvelopeForm(request.POST or None, qpvs=qpvs, communes=communes, initial=initial)
    if form.is_bound and form.is_valid():
        place = form.cleaned_data["place"]
        require_perm(request, "projects.manage_fund", place)
        is_qpv = isinstance(place, QPV)
        try:
            envelope = services.envelope_create(
                qpv=place if is_qpv else None,
                commune=None if is_qpv else place,
                year=form.cleaned_data["year"],
                amount=form.cleaned_data["amount"],
                by=request.user,
            )
        except services.FundError as error:
            _add_error(
                form,
                error,
                {
                    "duplicate": "place",
                    "place": "place",
                    "year": "year",
                    "amount_negative": "amount",
                    "too_large": "amount",
                },
            )
        else:
            messages.success(
                request,
                _("The %(year)s envelope of %(place)s is set: %(amount)s.")
                % {"year": envelope.year, "place": place.name, "amount": euros(envelope.amount)},
            )
            return redirect("projects:envelope_detail", pk=envelope.pk)
    return render(
        request,
        "projects/envelope_form.html",
        {"form": form, "envelope": None},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def envelope_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    envelope = _envelope_for(request, pk)
    form = EnvelopeAmountForm(request.POST or None, initial={"amount": envelope.amount})
    if form.is_bound and form.is_valid():
        try:
            services.envelope_update(
                envelope=envelope, amount=form.cleaned_data["amount"], by=request.user
            )
        except services.FundError as error:
            _add_error(
                form,
                error,
                {"below_committed": "amount", "amount_negative": "amount", "too_large": "amount"},
            )
        else:
            messages.success(
                request,
                _("The envelope is now %(amount)s.")
                % {"amount": euros(form.cleaned_data["amount"])},
            )
            return redirect("projects:envelope_detail", pk=envelope.pk)
    return render(
        request,
        "projects/envelope_form.html",
        {"form": form, "envelope": envelope, "place": place_name(envelope)},
        status=400 if form.is_bound else 200,
    )


# Staff: one envelope, its applications, decisions and payments ------------------------------------


def _committee_meetings(envelope: FundEnvelope) -> list[Meeting]:
    """Meetings the committee may have decided at: held or past, not cancelled, of the place."""
    meetings = Meeting.objects.exclude(status=MeetingStatus.CANCELLED).filter(
        Q(status=MeetingStatus.HELD) | Q(starts_at__lte=timezone.now())
    )
    if envelope.qpv_id:
        meetings = meetings.filter(dialogue_space__qpv_id=envelope.qpv_id)
    else:
        meetings = meetings.filter(dialogue_space__qpv__commune_id=envelope.commune_id)
    return list(
        meetings.select_related("dialogue_space__qpv").order_by("-starts_at", "-pk")[
            :COMMITTEE_MEETINGS
        ]
    )


def _render_detail(
    request: HttpRequest,
    envelope: FundEnvelope,
    *,
    meetings: list[Meeting] | None = None,
    decision_forms: dict[int, DecisionForm] | None = None,
    payment_forms: dict[int, PaymentForm] | None = None,
    file_forms: dict[int, FileCheckForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    meetings = _committee_meetings(envelope) if meetings is None else meetings
    decision_forms = decision_forms or {}
    payment_forms = payment_forms or {}
    file_forms = file_forms or {}
    # Any: the rows carry the annotation `to_pay` and get the forms of the template below.
    applications: list[Any] = list(
        applications_with_paid(envelope.applications.all())
        .select_related("project", "decision_meeting__dialogue_space", "decided_by")
        .prefetch_related(
            Prefetch("payments", queryset=GrantPayment.objects.order_by("paid_on", "pk"))
        )
        .order_by("status", "-submitted_at", "-pk")
    )
    today = timezone.localdate()
    for application in applications:
        if application.status == GrantStatus.SUBMITTED:
            application.decision_form = decision_forms.get(application.pk) or DecisionForm(
                prefix=f"decide-{application.pk}",
                meetings=meetings,
                initial={"amount": application.amount_requested},
            )
            application.file_form = file_forms.get(application.pk) or FileCheckForm(
                prefix=f"file-{application.pk}",
                initial={"missing": application.missing_pieces},
            )
        else:
            application.decision_form = None
            application.file_form = None
        if application.status == GrantStatus.GRANTED and (
            application.to_pay > 0 or application.pk in payment_forms
        ):
            application.payment_form = payment_forms.get(application.pk) or PaymentForm(
                prefix=f"pay-{application.pk}",
                initial={"amount": application.to_pay, "paid_on": today},
            )
        else:
            application.payment_form = None
    # A form refused for a reason its application no longer shows (decided meanwhile, not granted):
    # its message comes at the top of the page instead.
    shown = {
        id(form) for a in applications for form in (a.decision_form, a.payment_form, a.file_form)
    }
    for form in (*decision_forms.values(), *payment_forms.values(), *file_forms.values()):
        if id(form) not in shown:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))  # already a str: for the stubs
    pending = [a for a in applications if a.status == GrantStatus.SUBMITTED]
    decided = [a for a in applications if a.status != GrantStatus.SUBMITTED]
    return render(
        request,
        "projects/envelope_detail.html",
        {
            "envelope": envelope,
            "place": place_name(envelope),
            "pending": pending,
            "decided": decided,
            "has_meetings": bool(meetings),
            "is_open": services.is_open_for_applications(envelope, today),
            # The forms sent, which the rows carry: {% error_title %} finds them here.
            "sent_forms": [*decision_forms.values(), *payment_forms.values(), *file_forms.values()],
        },
        status=status,
    )


def _envelope_for(request: HttpRequest, pk: int) -> FundEnvelope:
    """An envelope of the user's scope (else 404), with its consumption (projects.manage_fund)."""
    envelopes = with_consumption(with_place(FundEnvelope.objects.all()))
    return get_object_for(request, envelopes, "projects.manage_fund", pk=pk)


@login_required
@require_GET
def envelope_detail(request: HttpRequest, pk: int) -> HttpResponse:
    envelope = _envelope_for(request, pk)
    return _render_detail(request, envelope)


def _application_for(request: HttpRequest, pk: int) -> GrantApplication:
    applications = GrantApplication.objects.select_related(
        "envelope__qpv__commune", "envelope__commune"
    )
    return get_object_for(request, applications, "projects.decide_grant", pk=pk)


@login_required
@require_POST
def grant_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record the committee's decision on one application (granted with an amount, or refused)."""
    application = _application_for(request, pk)
    envelope = application.envelope
    meetings = _committee_meetings(envelope)
    form = DecisionForm(request.POST, prefix=f"decide-{application.pk}", meetings=meetings)
    if form.is_valid():
        data = form.cleaned_data
        granted = data["decision"] == "granted"
        try:
            decided = services.grant_decide(
                application=application,
                granted=granted,
                amount=data["amount"] if granted else None,
                meeting=data["meeting"],
                reason=data["reason"],
                by=request.user,
            )
        except services.FundError as error:
            _add_error(
                form,
                error,
                {
                    "amount_required": "amount",
                    "amount_positive": "amount",
                    "above_requested": "amount",
                    "remainder": "amount",
                    "reason_required": "reason",
                    "meeting": "meeting",
                },
            )
        else:
            if granted:
                message = _("%(amount)s granted to “%(title)s”; the collective is told by email.")
            else:
                message = _("“%(title)s” is refused; the collective is told the reason by email.")
            messages.success(
                request, message % {"amount": euros(decided.amount_granted), "title": decided.title}
            )
            return redirect(
                reverse("projects:envelope_detail", kwargs={"pk": envelope.pk})
                + f"#application-{application.pk}"
            )
    return _render_detail(
        request,
        _envelope_for(request, envelope.pk),
        meetings=meetings,
        decision_forms={application.pk: form},
        status=400,
    )


@login_required
@require_POST
def grant_check_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Say whether one application is complete, or what is missing (before the committee)."""
    application = _application_for(request, pk)
    form = FileCheckForm(request.POST, prefix=f"file-{application.pk}")
    if form.is_valid():
        try:
            checked = services.grant_check_file(
                application=application,
                complete=form.cleaned_data["complete"],
                missing=form.cleaned_data["missing"],
                by=request.user,
            )
        except services.FundError as error:
            _add_error(form, error, {"missing_required": "missing"})
        else:
            messages.success(
                request,
                _("“%(title)s”: file %(status)s; the collective is told.")
                % {"title": checked.title, "status": checked.get_file_status_display().lower()},
            )
            return redirect(
                reverse("projects:envelope_detail", kwargs={"pk": application.envelope_id})
                + f"#application-{application.pk}"
            )
    return _render_detail(
        request,
        _envelope_for(request, application.envelope_id),
        file_forms={application.pk: form},
        status=400,
    )


@login_required
@require_POST
def grant_pay(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record a payment of a granted application."""
    application = _application_for(request, pk)
    form = PaymentForm(request.POST, prefix=f"pay-{application.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.grant_record_payment(
                application=application,
                amount=data["amount"],
                paid_on=data["paid_on"],
                note=data["note"],
                by=request.user,
            )
        except services.FundError as error:
            _add_error(
                form,
                error,
                {
                    "amount_positive": "amount",
                    "above_granted": "amount",
                    "future": "paid_on",
                    "outside_contract": "paid_on",
                    "before_decision": "paid_on",
                },
            )
        else:
            messages.success(
                request,
                _("Payment of %(amount)s recorded for “%(title)s”.")
                % {"amount": euros(payment.amount), "title": application.title},
            )
            return redirect(
                reverse("projects:envelope_detail", kwargs={"pk": application.envelope_id})
                + f"#application-{application.pk}"
            )
    return _render_detail(
        request,
        _envelope_for(request, application.envelope_id),
        payment_forms={application.pk: form},
        status=400,
    )
