"""Factories of questions and answers (issue 5), shared by the Q&A test modules."""

from __future__ import annotations

from datetime import timedelta

import factory

from dialogue.models import today_in_paris
from qpv.models import QPV
from questions.models import (
    DEFAULT_ANSWER_DAYS,
    Answer,
    AnswerStatus,
    Channel,
    Question,
    QuestionStatus,
    Theme,
)


class QuestionFactory(factory.django.DjangoModelFactory):
    """A question received today in Sanitas (housing), due in 30 days, shown publicly."""

    class Meta:
        model = Question

    qpv = factory.LazyFunction(lambda: QPV.objects.get(slug="sanitas"))
    channel = Channel.ONLINE
    text = factory.Sequence(lambda n: f"Quand la porte du hall {n} sera-t-elle réparée ?")
    theme = Theme.HOUSING
    asker_name = factory.Faker("name", locale="fr_FR")
    asker_email = factory.Sequence(lambda n: f"habitant{n}@example.org")
    public_display = True
    status = QuestionStatus.RECEIVED
    received_on = factory.LazyFunction(today_in_paris)
    due_on = factory.LazyAttribute(
        lambda question: question.received_on + timedelta(days=DEFAULT_ANSWER_DAYS)
    )


class AnswerFactory(factory.django.DjangoModelFactory):
    """A draft answer by the question's organisation (pass status=PUBLISHED to publish it)."""

    class Meta:
        model = Answer

    question = factory.SubFactory(QuestionFactory)
    organisation = factory.LazyAttribute(lambda answer: answer.question.organisation)
    text = factory.Sequence(lambda n: f"Les travaux sont programmés (réponse {n}).")
    status = AnswerStatus.DRAFT
