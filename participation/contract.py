"""The Contrat de ville 2024-2030: the window every date typed in the portal falls within, and the
natural limits of dates and amounts (issue 20: a grant payment dated 0001-01-01 was stored).

One place for the rule, used three ways:
- validators on the model fields, so that the admin (a model form) refuses what the pages refuse;
- `DayField`, the date field of every form: the window, "not after today" where the date says
  something happened, and an `<input type="date">` whose min/max let the browser help;
- `MAX_EUROS`, the plausible maximum of any amount in euros typed in the portal.

The window comes from the settings (CONTRACT_START, CONTRACT_END), read when a value is checked.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from participation.dates import date_format

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# No amount of the fund comes near it (an FPH envelope is a few tens of thousands of euros a
# year): a typo with three zeros too many is refused instead of recorded.
MAX_EUROS = Decimal("1000000")


def contract_start() -> datetime.date:
    return settings.CONTRACT_START


def contract_end() -> datetime.date:
    return settings.CONTRACT_END


def contract_years() -> range:
    return range(contract_start().year, contract_end().year + 1)


def _day(value: datetime.date) -> datetime.date:
    """The Paris day of a datetime (an aware one may be another day in UTC), or the date itself."""
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def outside_contract_error() -> ValidationError:
    return ValidationError(
        _("The date must be between %(start)s and %(end)s."),
        code="outside_contract",
        params={
            "start": date_format(contract_start()),
            "end": date_format(contract_end()),
        },
    )


def in_contract(value: datetime.date) -> bool:
    return contract_start() <= _day(value) <= contract_end()


@deconstructible
class WithinContract:
    """A date (or the Paris day of a datetime) within the Contrat de ville."""

    def __call__(self, value: datetime.date | None) -> None:
        if value is not None and not in_contract(value):
            raise outside_contract_error()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WithinContract)


@deconstructible
class NotAfterToday:
    """What already happened (a payment made, a decision taken): not after today, in Paris."""

    def __call__(self, value: datetime.date | None) -> None:
        if value is not None and _day(value) > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."), code="future")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NotAfterToday)


@deconstructible
class ContractYear:
    """A year of the contract (an envelope of the fund, a target)."""

    def __call__(self, value: int | None) -> None:
        years = contract_years()
        if value is not None and value not in years:
            raise ValidationError(
                _("Choose a year from %(first)s to %(last)s."),
                code="year",
                params={"first": years[0], "last": years[-1]},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContractYear)


class DayInput(forms.DateInput):
    """`<input type="date">` with the window as min/max, computed at each display (today moves)."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None, *, past: bool = False) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
        self.past = past

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        latest = min(contract_end(), timezone.localdate()) if self.past else contract_end()
        attrs = {"min": contract_start().isoformat(), "max": latest.isoformat(), **(attrs or {})}
        return super().get_context(name, value, attrs)


class DayField(forms.DateField):
    """A date typed by the staff, within the contract. With `past=True` the date says something
    happened, so it cannot be after today; `future_message` says it in the field's words."""

    def __init__(
        self, *, past: bool = False, future_message: StrOrPromise | None = None, **kwargs
    ) -> None:
        kwargs.setdefault("widget", DayInput(past=past))
        super().__init__(**kwargs)
        self.past = past
        self.future_message = future_message or _("The date cannot be in the future.")

    def validate(self, value: datetime.date | None) -> None:
        super().validate(value)
        if value is None:
            return
        if not in_contract(value):
            raise outside_contract_error()
        if self.past and value > timezone.localdate():
            raise ValidationError(self.future_message, code="future")


def too_large_error() -> ValidationError:
    return ValidationError(
        _("This amount is too large: %(limit)s € at most."),
        code="too_large",
        params={"limit": f"{MAX_EUROS:,.0f}".replace(",", "\u202f")},
    )
