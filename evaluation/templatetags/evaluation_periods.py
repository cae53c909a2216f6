"""`{{ report|report_period }}`: the period a report covers, cut to the day it was built when it
was still in progress ("2026, au 7 décembre 2026 (année en cours)"); the record keeps the one asked."""

from __future__ import annotations

from django import template

from evaluation.indicators import Period
from evaluation.indicators import report_period as _report_period
from evaluation.models import Report

register = template.Library()


@register.filter
def report_period(report: Report) -> Period:
    return _report_period(report)
