"""'Vous avez dit, nous avons fait': record what residents said and what the institution did.

The rules hold here, whatever form sends the data: a proposal not (fully) adopted needs its reason
(the database refuses it too), a decision is not dated in the future, and the meeting, question
and project linked belong to the record's QPV.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.models import Meeting
from participation.contract import in_contract, outside_contract_error
from participation.models import User
from projects.models import InfluenceOutcome, InfluenceRecord, Project
from qpv.models import QPV, Organisation
from questions.models import Question


class InfluenceError(ValidationError):
    """A refused record, with a message for the form; `code` names the field."""


def _check(
    *,
    qpv: QPV,
    said: str,
    outcome: str,
    what_was_done: str,
    reason: str,
    decided_on: date,
    meeting: Meeting | None,
    question: Question | None,
    project: Project | None,
) -> None:
    if not said.strip():
        raise InfluenceError(_("Say what residents said."), code="said")
    if not what_was_done.strip():
        raise InfluenceError(_("Say what the institution did."), code="what_was_done")
    if outcome not in InfluenceOutcome.values:
        raise InfluenceError(_("Choose the outcome."), code="outcome")
    if outcome != InfluenceOutcome.ADOPTED and not reason.strip():
        raise InfluenceError(
            _("Give the reason why the proposal was not fully adopted: residents need to know it."),
            code="reason",
        )
    if not in_contract(decided_on):
        raise InfluenceError(outside_contract_error().messages[0], code="decided_on")
    if decided_on > timezone.localdate():
        raise InfluenceError(
            _("The date is in the future: record a decision once it is taken."), code="decided_on"
        )
    if meeting is not None and meeting.dialogue_space.qpv_id != qpv.pk:
        raise InfluenceError(_("This meeting is not in this neighbourhood."), code="meeting")
    if question is not None and question.qpv_id != qpv.pk:
        raise InfluenceError(_("This question is not from this neighbourhood."), code="question")
    if project is not None and project.qpv_id != qpv.pk:
        raise InfluenceError(_("This project is not in this neighbourhood."), code="project")


@transaction.atomic
def influence_record_create(
    *,
    qpv: QPV,
    said: str,
    outcome: str,
    what_was_done: str,
    decided_on: date,
    by: User,
    reason: str = "",
    meeting: Meeting | None = None,
    question: Question | None = None,
    project: Project | None = None,
    action: str = "",
    institution: Organisation | None = None,
) -> InfluenceRecord:
    _check(
        qpv=qpv,
        said=said,
        outcome=outcome,
        what_was_done=what_was_done,
        reason=reason,
        decided_on=decided_on,
        meeting=meeting,
        question=question,
        project=project,
    )
    return InfluenceRecord.objects.create(
        qpv=qpv,
        said=said.strip(),
        meeting=meeting,
        question=question,
        outcome=outcome,
        what_was_done=what_was_done.strip(),
        reason=reason.strip(),
        project=project,
        action=action.strip(),
        institution=institution,
        decided_on=decided_on,
        created_by=by,
    )


@transaction.atomic
def influence_record_update(
    *,
    record: InfluenceRecord,
    said: str,
    outcome: str,
    what_was_done: str,
    decided_on: date,
    reason: str = "",
    meeting: Meeting | None = None,
    question: Question | None = None,
    project: Project | None = None,
    action: str = "",
    institution: Organisation | None = None,
) -> InfluenceRecord:
    """Correct a record; its QPV does not change (a record of another QPV is a new record)."""
    _check(
        qpv=record.qpv,
        said=said,
        outcome=outcome,
        what_was_done=what_was_done,
        reason=reason,
        decided_on=decided_on,
        meeting=meeting,
        question=question,
        project=project,
    )
    record.said = said.strip()
    record.meeting = meeting
    record.question = question
    record.outcome = outcome
    record.what_was_done = what_was_done.strip()
    record.reason = reason.strip()
    record.project = project
    record.action = action.strip()
    record.institution = institution
    record.decided_on = decided_on
    record.save()
    return record
