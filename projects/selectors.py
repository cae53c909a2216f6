"""Reads of the participation fund: what an envelope has committed, paid and left.

Every figure is computed by the database (correlated subqueries, so that the applications and the
payments of one envelope never multiply each other's rows in a join), for one envelope or for a
whole list of them in the same query. The write side (projects.services.fund) recomputes the
committed sum under a lock of the envelope; these reads are for the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from projects.models import FundEnvelope, GrantApplication, GrantPayment, GrantStatus

ZERO = Decimal("0.00")
MONEY: DecimalField = DecimalField(max_digits=12, decimal_places=2)
# A QuerySet of envelopes comes back of its own class (the scoped one stays scoped).
Envelopes = TypeVar("Envelopes", bound=QuerySet[FundEnvelope])


def _zero() -> Value:
    return Value(ZERO, output_field=MONEY)


def _sum_of_applications(field: str, status: GrantStatus) -> Coalesce:
    total = (
        GrantApplication.objects.filter(envelope=OuterRef("pk"), status=status)
        .order_by()
        .values("envelope")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=MONEY), _zero(), output_field=MONEY)


def _sum_of_payments() -> Coalesce:
    total = (
        GrantPayment.objects.filter(application__envelope=OuterRef("pk"))
        .order_by()
        .values("application__envelope")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=MONEY), _zero(), output_field=MONEY)


def _count_of_applications(status: GrantStatus | None = None) -> Coalesce:
    applications = GrantApplication.objects.filter(envelope=OuterRef("pk"))
    if status is not None:
        applications = applications.filter(status=status)
    count = applications.order_by().values("envelope").annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(count), Value(0))


def with_consumption(envelopes: Envelopes) -> Envelopes:
    """Annotate each envelope with its consumption, in the same query:

    - committed: the amounts granted (the committee's decisions),
    - paid: the payments recorded on those grants,
    - left: the envelope minus what is committed (what the committee can still grant),
    - requested_pending: the amounts asked by the applications not decided yet,
    - applications_count, granted_count, pending_count.
    """
    return envelopes.annotate(
        committed=_sum_of_applications("amount_granted", GrantStatus.GRANTED),
        paid=_sum_of_payments(),
        requested_pending=_sum_of_applications("amount_requested", GrantStatus.SUBMITTED),
        applications_count=_count_of_applications(),
        granted_count=_count_of_applications(GrantStatus.GRANTED),
        pending_count=_count_of_applications(GrantStatus.SUBMITTED),
    ).annotate(left=ExpressionWrapper(F("amount") - F("committed"), output_field=MONEY))


def with_place(envelopes: Envelopes) -> Envelopes:
    return envelopes.select_related("qpv__commune", "commune")


def committed_of(envelope_id: int) -> Decimal:
    """The sum granted on an envelope, computed now (the services call it under the envelope's lock)."""
    return GrantApplication.objects.filter(
        envelope_id=envelope_id, status=GrantStatus.GRANTED
    ).aggregate(total=Coalesce(Sum("amount_granted"), _zero(), output_field=MONEY))["total"]


def paid_of(application_id: int) -> Decimal:
    return GrantPayment.objects.filter(application_id=application_id).aggregate(
        total=Coalesce(Sum("amount"), _zero(), output_field=MONEY)
    )["total"]


def applications_with_paid(applications: QuerySet[GrantApplication]) -> QuerySet[GrantApplication]:
    """Each application with the sum of its payments and what remains to pay, in the same query."""
    paid = (
        GrantPayment.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return applications.annotate(
        paid=Coalesce(Subquery(paid, output_field=MONEY), _zero(), output_field=MONEY)
    ).annotate(
        to_pay=ExpressionWrapper(
            Coalesce(F("amount_granted"), _zero(), output_field=MONEY) - F("paid"),
            output_field=MONEY,
        )
    )


@dataclass(frozen=True)
class YearTotals:
    year: int
    amount: Decimal
    committed: Decimal
    paid: Decimal

    @property
    def left(self) -> Decimal:
        return self.amount - self.committed


def totals_by_year(envelopes: QuerySet[FundEnvelope]) -> dict[int, YearTotals]:
    """Envelope, committed and paid summed per year over the given envelopes (three grouped
    queries: the envelopes, the grants, the payments)."""
    amounts = dict(
        envelopes.order_by()
        .values("year")
        .annotate(total=Sum("amount"))
        .values_list("year", "total")
    )
    committed = dict(
        GrantApplication.objects.filter(envelope__in=envelopes, status=GrantStatus.GRANTED)
        .order_by()
        .values("envelope__year")
        .annotate(total=Sum("amount_granted"))
        .values_list("envelope__year", "total")
    )
    paid = dict(
        GrantPayment.objects.filter(application__envelope__in=envelopes)
        .order_by()
        .values("application__envelope__year")
        .annotate(total=Sum("amount"))
        .values_list("application__envelope__year", "total")
    )
    return {
        year: YearTotals(
            year=year,
            amount=Decimal(amount or 0),
            committed=Decimal(committed.get(year) or 0),
            paid=Decimal(paid.get(year) or 0),
        )
        for year, amount in amounts.items()
    }


def euros(amount: Decimal | None) -> str:
    """ "1 500 €", "1 234,50 €": French format, whatever the active language (emails, messages)."""
    amount = Decimal(amount or 0).quantize(Decimal("0.01"))
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return text.replace(",", "\u00a0").replace(".", ",") + "\u00a0€"


def place_name(envelope: FundEnvelope) -> str:
    place = envelope.qpv if envelope.qpv_id else envelope.commune
    assert place is not None  # an envelope is of a QPV or of a commune (envelope_qpv_xor_commune)
    return place.name
