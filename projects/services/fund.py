"""The participation fund: envelopes, applications, the committee's decisions, payments.

An envelope can never be over-committed. Every decision first locks the envelope's row (SELECT ...
FOR NO KEY UPDATE on PostgreSQL: decisions on one envelope queue up behind each other, while new
applications, which only reference the envelope, are not held up) and recomputes the committed sum
under that lock: the remainder read there is the truth, whatever other decisions are in flight.
Changing the amount of an envelope takes the same lock. Emails are queued on commit
(projects.emails.fund): a refused action sends nothing. The applicant is told of each decision and
payment (one message each, notifications.notify_resident).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.models import Meeting, MeetingStatus
from participation.contract import (
    MAX_EUROS,
    ContractYear,
    in_contract,
    outside_contract_error,
    too_large_error,
)
from participation.dates import date_format
from participation.models import User
from projects.emails import fund as emails_fund
from projects.models import (
    FileStatus,
    FundEnvelope,
    GrantApplication,
    GrantPayment,
    GrantStatus,
    ModerationStatus,
    Project,
)
from projects.selectors import committed_of, euros, paid_of
from qpv.models import QPV, Commune

CENT = Decimal("0.01")


class FundError(ValidationError):
    """A refused action on the fund, with a French message for the form and a code for the field."""


def _money(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT)


def _locked_envelope(envelope_id: int) -> FundEnvelope:
    # Decisions on one envelope are serialised by this lock; inserting an application (a foreign
    # key share lock) is not blocked by it.
    return (
        FundEnvelope.objects.select_for_update(no_key=True, of=("self",))
        .select_related("qpv__commune", "commune")
        .get(pk=envelope_id)
    )


def _locked_application(application_id: int) -> GrantApplication:
    return GrantApplication.objects.select_for_update(of=("self",)).get(pk=application_id)


# Envelopes ----------------------------------------------------------------------------------------


def _check_amount(amount: Decimal) -> Decimal:
    # Zero is an envelope: the year without a fund for that place, said rather than left blank.
    if amount is None or amount < 0:
        raise FundError(_("The envelope cannot be negative."), code="amount_negative")
    _check_not_too_large(amount)
    return _money(amount)


def _check_not_too_large(amount: Decimal) -> None:
    if amount > MAX_EUROS:
        raise FundError(too_large_error().messages[0], code="too_large")


@transaction.atomic
def envelope_create(
    *,
    year: int,
    amount: Decimal,
    by: User,
    qpv: QPV | None = None,
    commune: Commune | None = None,
) -> FundEnvelope:
    """Set the envelope of a QPV (or of a whole commune) for a year of the Contrat de ville."""
    if (qpv is None) == (commune is None):
        raise FundError(_("Choose a neighbourhood or a commune."), code="place")
    try:
        ContractYear()(year)
    except ValidationError as error:
        raise FundError(error.messages[0], code="year") from None
    amount = _check_amount(amount)
    place: dict[str, QPV | Commune | None] = (
        {"qpv": qpv} if qpv is not None else {"commune": commune}
    )
    if FundEnvelope.objects.filter(year=year, **place).exists():
        raise _duplicate(qpv or commune, year)
    try:
        # A savepoint: two referents creating the same envelope at once get the clear message
        # too, not a broken transaction.
        with transaction.atomic():
            return FundEnvelope.objects.create(year=year, amount=amount, set_by=by, **place)
    except IntegrityError:
        raise _duplicate(qpv or commune, year) from None


def _duplicate(place: QPV | Commune | None, year: int) -> FundError:
    return FundError(
        _("%(place)s already has an envelope for %(year)s: change its amount instead.")
        % {"place": place, "year": year},
        code="duplicate",
    )


@transaction.atomic
def envelope_update(*, envelope: FundEnvelope, amount: Decimal, by: User) -> FundEnvelope:
    """Change the amount of an envelope; never below what the committee has already granted."""
    amount = _check_amount(amount)
    envelope = _locked_envelope(envelope.pk)
    committed = committed_of(envelope.pk)
    if amount < committed:
        raise FundError(
            _(
                "%(committed)s are already granted from this envelope: "
                "it cannot be set below that amount."
            )
            % {"committed": euros(committed)},
            code="below_committed",
        )
    envelope.amount = amount
    envelope.set_by = by
    envelope.save(update_fields=["amount", "set_by", "updated_at"])
    return envelope


# Applications -------------------------------------------------------------------------------------


def is_open_for_applications(envelope: FundEnvelope, today: date | None = None) -> bool:
    """Residents apply to the envelopes of this year and of the years to come, not to past ones."""
    return envelope.year >= (today or timezone.localdate()).year


def _check_lines(
    amount_requested: Decimal, budget_lines: Sequence[tuple[str, Decimal]]
) -> list[dict]:
    lines = []
    for label, amount in budget_lines:
        label = (label or "").strip()
        if not label or amount is None:
            raise FundError(
                _("Each budget line needs a label and an amount."), code="line_incomplete"
            )
        if amount <= 0:
            raise FundError(
                _("The amount of each budget line must be greater than zero."), code="line_amount"
            )
        lines.append({"label": label, "amount": str(_money(amount))})
    if not lines:
        raise FundError(_("Detail the budget in at least one line."), code="no_lines")
    total = sum((Decimal(line["amount"]) for line in lines), Decimal("0"))
    if total != amount_requested:
        raise FundError(
            _(
                "The budget lines add up to %(total)s but the amount requested is %(requested)s: "
                "they must be equal."
            )
            % {"total": euros(total), "requested": euros(amount_requested)},
            code="total_mismatch",
        )
    return lines


def projects_for(envelope: FundEnvelope) -> QuerySet[Project]:
    """The published projects an application to this envelope may be linked to."""
    projects = Project.objects.filter(moderation=ModerationStatus.PUBLISHED)
    if envelope.qpv_id:
        return projects.filter(qpv_id=envelope.qpv_id)
    return projects.filter(qpv__commune_id=envelope.commune_id)


@transaction.atomic
def grant_apply(
    *,
    envelope: FundEnvelope,
    title: str,
    description: str,
    collective_name: str,
    contact_name: str,
    contact_email: str,
    amount_requested: Decimal,
    budget_lines: Sequence[tuple[str, Decimal]],
    contact_phone: str = "",
    project: Project | None = None,
    by: User | None = None,
) -> GrantApplication:
    """A residents' collective applies to an envelope; it and the commune's referents are told."""
    if not is_open_for_applications(envelope):
        raise FundError(
            _("The %(year)s envelope is closed: apply to this year's envelope.")
            % {"year": envelope.year},
            code="closed",
        )
    if amount_requested is None or amount_requested <= 0:
        raise FundError(
            _("The amount requested must be greater than zero."), code="amount_positive"
        )
    amount_requested = _money(amount_requested)
    if amount_requested > envelope.amount:
        # The committee could never grant it: the collective is told now, not weeks later.
        raise FundError(
            _("The whole envelope is %(envelope)s: the amount requested cannot exceed it.")
            % {"envelope": euros(envelope.amount)},
            code="above_envelope",
        )
    lines = _check_lines(amount_requested, budget_lines)
    if project is not None and not projects_for(envelope).filter(pk=project.pk).exists():
        raise FundError(
            _("Choose a published project of the envelope's neighbourhood."), code="project"
        )
    application = GrantApplication.objects.create(
        envelope=envelope,
        project=project,
        title=title.strip(),
        description=description.strip(),
        collective_name=collective_name.strip(),
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip().lower(),
        contact_phone=contact_phone.strip(),
        amount_requested=amount_requested,
        budget_lines=lines,
        submitted_by=by,
    )
    emails_fund.grant_received(application)
    emails_fund.grant_new_application(application)
    return application


# Decisions and payments ---------------------------------------------------------------------------


def _check_meeting(envelope: FundEnvelope, meeting: Meeting | None) -> None:
    if meeting is None:
        return
    space = meeting.dialogue_space
    in_place = (
        space.qpv_id == envelope.qpv_id
        if envelope.qpv_id
        else space.qpv.commune_id == envelope.commune_id
    )
    if not in_place:
        raise FundError(
            _("Choose a meeting of a dialogue space of the envelope's neighbourhood."),
            code="meeting",
        )
    if meeting.status == MeetingStatus.CANCELLED or (
        meeting.status != MeetingStatus.HELD and meeting.starts_at > timezone.now()
    ):
        raise FundError(
            _("The committee's meeting must have been held (a past meeting, not cancelled)."),
            code="meeting",
        )


@transaction.atomic
def grant_decide(
    *,
    application: GrantApplication,
    granted: bool,
    by: User,
    amount: Decimal | None = None,
    meeting: Meeting | None = None,
    reason: str = "",
) -> GrantApplication:
    """Record the residents' committee's decision: an amount granted (at most the amount requested
    and what is left of the envelope) or a refusal, with the reason when refused or reduced.
    """
    # The envelope first, then the application: every service takes the locks in this order.
    envelope = _locked_envelope(application.envelope_id)
    application = _locked_application(application.pk)
    if application.status != GrantStatus.SUBMITTED:
        raise FundError(
            _("This application has already been decided (%(status)s).")
            % {"status": application.get_status_display().lower()},
            code="decided",
        )
    reason = reason.strip()
    _check_meeting(envelope, meeting)
    if granted:
        if amount is None:
            raise FundError(_("Enter the amount granted."), code="amount_required")
        amount = _money(amount)
        if amount <= 0:
            raise FundError(
                _(
                    "The amount granted must be greater than zero; "
                    "to grant nothing, record a refusal."
                ),
                code="amount_positive",
            )
        if amount > application.amount_requested:
            raise FundError(
                _("The amount granted cannot exceed the amount requested (%(requested)s).")
                % {"requested": euros(application.amount_requested)},
                code="above_requested",
            )
        # Recomputed under the lock: the decisions committed meanwhile are counted.
        left = envelope.amount - committed_of(envelope.pk)
        if amount > left:
            raise FundError(
                _("Only %(left)s are left in the envelope: the committee cannot grant %(amount)s.")
                % {"left": euros(max(left, Decimal("0"))), "amount": euros(amount)},
                code="remainder",
            )
        if amount < application.amount_requested and not reason:
            raise FundError(
                _(
                    "Give the reason for granting less than requested: it is sent to the collective."
                ),
                code="reason_required",
            )
        application.status = GrantStatus.GRANTED
        application.amount_granted = amount
    else:
        if not reason:
            raise FundError(
                _("Give the reason for the refusal: it is sent to the collective."),
                code="reason_required",
            )
        application.status = GrantStatus.REFUSED
        application.amount_granted = None
    application.decision_meeting = meeting
    application.decision_reason = reason
    application.decided_at = timezone.now()
    application.decided_by = by
    application.save(
        update_fields=[
            "status",
            "amount_granted",
            "decision_meeting",
            "decision_reason",
            "decided_at",
            "decided_by",
        ]
    )
    application.envelope = envelope
    emails_fund.grant_decided(application)
    return application


@transaction.atomic
def grant_check_file(
    *, application: GrantApplication, complete: bool, by: User, missing: str = ""
) -> GrantApplication:
    """The referents say whether an application is complete before the committee examines it,
    or what is missing; the applicant is told either way (issue 17)."""
    application = _locked_application(application.pk)
    if application.status != GrantStatus.SUBMITTED:
        raise FundError(
            _("This application has already been decided (%(status)s).")
            % {"status": application.get_status_display().lower()},
            code="decided",
        )
    missing = missing.strip()
    if not complete and not missing:
        raise FundError(
            _("Say what is missing: the collective is told, to send it."), code="missing_required"
        )
    application.file_status = FileStatus.COMPLETE if complete else FileStatus.INCOMPLETE
    application.missing_pieces = "" if complete else missing
    application.file_checked_at = timezone.now()
    application.save(update_fields=["file_status", "missing_pieces", "file_checked_at"])
    emails_fund.grant_file_checked(application)
    return application


def _check_payment_date(application: GrantApplication, paid_on: date) -> None:
    """Within the contract, not in the future, not before the committee's decision.

    No limit by the envelope's year: the balance of a grant is often paid after the action, in
    the following year; what a payment cannot do is come before the decision that grants it.
    """
    if not in_contract(paid_on):
        raise FundError(outside_contract_error().messages[0], code="outside_contract")
    if paid_on > timezone.localdate():
        raise FundError(
            _("A payment is recorded once made: the date cannot be in the future."),
            code="future",
        )
    if application.decided_at is not None:
        decided_on = timezone.localdate(application.decided_at)
        if paid_on < decided_on:
            raise FundError(
                _("A payment follows the decision: the date cannot be before %(date)s.")
                % {"date": date_format(decided_on)},
                code="before_decision",
            )


@transaction.atomic
def grant_record_payment(
    *, application: GrantApplication, amount: Decimal, paid_on: date, by: User, note: str = ""
) -> GrantPayment:
    """Record a payment of a grant: never more, in all, than the amount granted."""
    application = _locked_application(application.pk)
    if application.status != GrantStatus.GRANTED:
        raise FundError(_("Only a granted application can be paid."), code="not_granted")
    if amount is None or amount <= 0:
        raise FundError(_("The amount paid must be greater than zero."), code="amount_positive")
    amount = _money(amount)
    _check_payment_date(application, paid_on)
    already = paid_of(application.pk)
    granted = application.amount_granted
    assert granted is not None  # set with the status granted (grant_decide)
    if already + amount > granted:
        raise FundError(
            _(
                "%(paid)s are already paid out of %(granted)s granted: "
                "at most %(left)s can still be paid."
            )
            % {
                "paid": euros(already),
                "granted": euros(granted),
                "left": euros(granted - already),
            },
            code="above_granted",
        )
    payment = GrantPayment.objects.create(
        application=application, amount=amount, paid_on=paid_on, note=note.strip(), recorded_by=by
    )
    emails_fund.grant_paid(payment, paid_in_all=already + amount)
    return payment
