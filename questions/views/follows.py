"""Following a public question asked by someone else ("follow that one" instead of asking it
again, issue 17): it then shows in the account's "Mon espace" (selectors.followed_questions_of).

The buttons are POST forms (the question's page, the similar questions shown before sending). A
visitor is sent to log in and comes back to the question's page, where the button waits (not to
the POST-only URL, which would answer 405 to the redirect). A question not shown publicly is a 404
for everyone here, as on its public page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from participation.scopes import require_perm
from questions import services
from questions.models import Question


def _public_question(request: HttpRequest, pk: int) -> Question:
    return get_object_or_404(Question.objects.public().select_related("qpv__commune"), pk=pk)


@require_POST
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    question = _public_question(request, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(question.get_absolute_url())
    require_perm(request, "questions.follow_question", question)
    services.question_follow(user=request.user, question=question)
    messages.success(
        request,
        _(
            "You follow this question: it is in your space, and you will see its answer there "
            "as soon as it is published."
        ),
    )
    return redirect(question)


@require_POST
def unfollow(request: HttpRequest, pk: int) -> HttpResponse:
    question = _public_question(request, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(question.get_absolute_url())
    require_perm(request, "questions.follow_question", question)
    services.question_unfollow(user=request.user, question=question)
    messages.success(request, _("You no longer follow this question."))
    return redirect(question)
