from __future__ import annotations

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from dialogue.models import (
    DialogueSpace,
    FacilitatedBy,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationStatus,
    SpaceFormat,
    SpaceOrigin,
)
from participation.models import RoleAssignment, User
from participation.roles import Role, forget_scopes
from qpv.models import QPV, Organisation, OrganisationKind

PASSWORD = "Un-mot-de-passe-solide-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="fr_FR")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.BAILLEUR
    contact_email = factory.Sequence(lambda n: f"org{n}@example.org")


class DialogueSpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DialogueSpace

    qpv = factory.LazyFunction(lambda: QPV.objects.get(slug="sanitas"))
    name = factory.Sequence(lambda n: f"Café des habitants {n}")
    format = SpaceFormat.CAFE
    origin = SpaceOrigin.CREATED
    facilitated_by = FacilitatedBy.PARTNER


def grant(user: User, role: Role, **scope) -> RoleAssignment:
    """Give a role to a user and forget their cached scopes."""
    assignment = RoleAssignment.objects.create(user=user, role=role, **scope)
    forget_scopes(user)
    return assignment


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
