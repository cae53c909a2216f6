"""Factories of the project package: accounts (a verified email, a known password) and roles."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from participation.models import RoleAssignment, User
from participation.roles import Role, forget_scopes

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


def grant(user: User, role: Role, **scope) -> RoleAssignment:
    """Give a role to a user and forget their cached scopes."""
    assignment = RoleAssignment.objects.create(user=user, role=role, **scope)
    forget_scopes(user)
    return assignment
