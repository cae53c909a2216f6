from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from dialogue.models import DialogueSpace, FacilitatedBy, SpaceFormat, SpaceOrigin
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
