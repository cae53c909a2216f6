"""Demo targets of the indicators: what a coordination would set for the Contrat de ville, so that the
dashboard and the reports of the local run show targets and progress (issue 19)."""

from __future__ import annotations

from decimal import Decimal

from evaluation.models import IndicatorTarget, TargetDirection, TargetLevel
from evaluation.services import target_save
from participation.models import User

# (indicator, direction, yearly value per QPV), for the whole contract.
DEMO_TARGETS = (
    ("meetings_held", TargetDirection.AT_LEAST, "10"),  # "≥ 10 rencontres par QPV et par an"
    ("questions_on_time_rate", TargetDirection.AT_LEAST, "80"),  # "≥ 80 % dans le délai"
    ("share_women", TargetDirection.AT_LEAST, "50"),
    ("return_rate", TargetDirection.AT_LEAST, "40"),
    ("questions_overdue", TargetDirection.AT_MOST, "0"),
)


def load_demo_targets() -> int:
    """Create the demo targets once; returns how many were created."""
    if IndicatorTarget.objects.exists():
        return 0
    coordinator = User.objects.filter(email="coordinatrice@example.org").first()
    for code, direction, value in DEMO_TARGETS:
        target = IndicatorTarget(
            code=code, level=TargetLevel.EACH_QPV, direction=direction, value=Decimal(value)
        )
        if coordinator is None:
            target.save()
        else:
            target_save(target=target, by=coordinator)
    return len(DEMO_TARGETS)
