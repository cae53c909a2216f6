"""The results of a question search, for htmx (projects.forms.question_search explains the search).

GET ?qpv=<slug>&field=<origin_question|question>&<field>_q=<words>[&chosen=<id>]: the radio
buttons of the matching questions of the QPV, for those who may fill the form of that field there.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from participation.http import AuthenticatedHttpRequest
from participation.scopes import require_perm
from projects.forms.question_search import (
    SEARCH_FIELDS,
    QuestionSearch,
    search_questions,
    search_text,
)
from qpv.shortcuts import qpv_or_404
from questions.models import ACCEPTED_STATUSES, Question


@login_required
@require_GET
def question_choices(request: AuthenticatedHttpRequest) -> HttpResponse:
    name = request.GET.get("field", "")
    if name not in SEARCH_FIELDS:
        raise BadRequest(_("This search is not one of the forms'."))
    qpv = qpv_or_404(request.GET.get("qpv", ""))
    require_perm(request, SEARCH_FIELDS[name], qpv)
    chosen = request.GET.get("chosen", "")
    if chosen and not (chosen.isdigit() and len(chosen) < 10):
        raise BadRequest(_("The chosen question is not a question number."))
    text = search_text(request.GET, name)
    # The questions the form offers (the current one of a record being edited aside: it is shown
    # as chosen, outside the results).
    questions = Question.objects.filter(qpv=qpv, status__in=ACCEPTED_STATUSES)
    results, more = search_questions(questions, text, exclude=int(chosen) if chosen else None)
    search = QuestionSearch(
        name=name, text=text, chosen=None, results=results, more=more, url=request.path
    )
    return render(
        request,
        "projects/includes/question_choices.html",
        {"search": search, "field": {"html_name": name, "auto_id": f"id_{name}"}},
    )
