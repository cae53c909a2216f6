"""Factories of dialogue spaces, meetings and registrations (the questions': tests/questions)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from dialogue.models import (
    DialogueSpace,
    FacilitatedBy,
    Meeting,
    MeetingStatus,
    MeetingTranslation,
    Registration,
    RegistrationStatus,
    SpaceFormat,
    SpaceOrigin,
)
from qpv.models import QPV


class DialogueSpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DialogueSpace

    qpv = factory.LazyFunction(lambda: QPV.objects.get(slug="sanitas"))
    name = factory.Sequence(lambda n: f"Café des habitants {n}")
    format = SpaceFormat.CAFE
    origin = SpaceOrigin.CREATED
    facilitated_by = FacilitatedBy.PARTNER


class MeetingFactory(factory.django.DjangoModelFactory):
    """A planned meeting next week, 18:00-20:00 Paris time, 20 seats."""

    class Meta:
        model = Meeting

    dialogue_space = factory.SubFactory(DialogueSpaceFactory)
    title = factory.Sequence(lambda n: f"Rencontre {n}")
    starts_at = factory.LazyFunction(
        lambda: (timezone.localtime() + timedelta(days=7)).replace(
            hour=18, minute=0, second=0, microsecond=0
        )
    )
    ends_at = factory.LazyAttribute(lambda meeting: meeting.starts_at + timedelta(hours=2))
    venue = "Centre social"
    address = "1 place Neuve, 37000 Tours"
    capacity = 20
    registration_required = True
    status = MeetingStatus.PLANNED


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    meeting = factory.SubFactory(MeetingFactory)
    name = factory.Faker("name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"inscrit{n}@example.org")
    status = RegistrationStatus.CONFIRMED
    confirmed_at = factory.LazyFunction(timezone.now)


class MeetingTranslationFactory(factory.django.DjangoModelFactory):
    """A meeting's invitation in Arabic (right to left) unless told otherwise."""

    class Meta:
        model = MeetingTranslation

    meeting = factory.SubFactory(MeetingFactory)
    language = "ar"
    title = "مقهى السكان: الحياة في الحي"
    summary = "لقاء مفتوح لجميع سكان الحي."
    practical_information = "الدخول من الفناء. الحضور مجاني."
