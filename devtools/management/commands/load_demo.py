"""Demo data for the local run: organisations, spaces and one account per role, on real QPV.

Idempotent: running it again updates the same rows. Refuses to run with DEBUG off, so that demo
passwords never reach a production database by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from devtools.demo.fund import load_demo_fund
from devtools.demo.influence import load_demo_influence
from devtools.demo.meetings import load_demo_meetings
from devtools.demo.projects import load_demo_projects
from devtools.demo.questions import load_demo_questions
from devtools.demo.targets import load_demo_targets
from devtools.demo.translations import load_demo_translations
from dialogue.models import DialogueSpace, FacilitatedBy, SpaceFormat, SpaceOrigin
from participation.models import RoleAssignment, User
from participation.roles import Role
from qpv.models import QPV, Commune, Organisation, OrganisationKind

DEMO_PASSWORD = "demo-quartiers-2026"  # noqa: S105 (local demo only, refused when DEBUG is off)
# The demo staff accounts share this authenticator-app secret, so that the second factor can be
# typed during a demo: `manage.py demo_code` prints the current code (DEBUG only, like this command).
DEMO_TOTP_SECRET = "QUARTIERSENDIALOGUEDEMOTOURSQPVS"  # noqa: S105 (base32, local demo only)

ORGANISATIONS = [
    # name, kind, QPV slugs served (empty: all QPV of the commune given), commune slug
    ("Ville de Tours — Politique de la ville", OrganisationKind.VILLE, [], "tours"),
    (
        "Ville de Joué-lès-Tours — Politique de la ville",
        OrganisationKind.VILLE,
        [],
        "joue-les-tours",
    ),
    ("Ville de Saint-Pierre-des-Corps", OrganisationKind.VILLE, [], "saint-pierre-des-corps"),
    ("Ville de La Riche", OrganisationKind.VILLE, [], "la-riche"),
    ("Tours Métropole Val de Loire", OrganisationKind.METROPOLE, [], None),
    ("Préfecture d'Indre-et-Loire", OrganisationKind.ETAT, [], None),
    (
        "Tours Habitat",
        OrganisationKind.BAILLEUR,
        ["sanitas", "europe", "les-fontaines", "rives-du-cher"],
        "tours",
    ),
    (
        "Val Touraine Habitat",
        OrganisationKind.BAILLEUR,
        ["la-rabiere", "la-rabaterie", "le-morier"],
        None,
    ),
    ("Centre social du Sanitas", OrganisationKind.CENTRE_SOCIAL, ["sanitas"], None),
    ("Centre social de la Rabière", OrganisationKind.CENTRE_SOCIAL, ["la-rabiere"], None),
    ("Conseil citoyen de la Rabaterie", OrganisationKind.CONSEIL_CITOYEN, ["la-rabaterie"], None),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: Role | None
    scope: dict


class Command(BaseCommand):
    help = "Load idempotent demo data (organisations, spaces, one account per role)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo logins.")

    @transaction.atomic
    def handle(self, *args, quiet: bool = False, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data are for the local run only (DEBUG must be true).")
        organisations = self._organisations()
        spaces = self._spaces(organisations)
        accounts = self._accounts(organisations, spaces)
        meetings = load_demo_meetings(
            spaces=list(DialogueSpace.objects.select_related("qpv__commune"))
        )
        self.stdout.write(f"Demo meetings created: {meetings} (existing ones kept).")
        self.stdout.write(f"Demo meeting translations created: {load_demo_translations()}.")
        self.stdout.write(f"Demo questions created: {load_demo_questions()} (existing ones kept).")
        self.stdout.write(f"Demo projects created: {load_demo_projects()} (existing ones kept).")
        # Influence records link to the demo projects: load_demo_influence comes after them.
        self.stdout.write(f"Demo influence records and news: {load_demo_influence()} created.")
        self.stdout.write(f"Demo fund envelopes created: {load_demo_fund()} (existing ones kept).")
        self.stdout.write(f"Demo indicator targets created: {load_demo_targets()}.")
        if not quiet:
            self._print_logins(accounts)

    def _organisations(self) -> dict[str, Organisation]:
        qpvs = {qpv.slug: qpv for qpv in QPV.objects.select_related("commune")}
        result: dict[str, Organisation] = {}
        for name, kind, qpv_slugs, commune_slug in ORGANISATIONS:
            organisation, _ = Organisation.objects.update_or_create(
                name=name,
                kind=kind,
                defaults={"contact_email": f"contact+{len(result)}@example.org"},
            )
            if qpv_slugs:
                served = [qpvs[slug] for slug in qpv_slugs]
            elif commune_slug:
                served = [qpv for qpv in qpvs.values() if qpv.commune.slug == commune_slug]
            else:
                served = list(qpvs.values())
            organisation.qpvs.set(served)
            result[name] = organisation
        return result

    def _spaces(self, organisations: dict[str, Organisation]) -> dict[str, DialogueSpace]:
        sanitas = QPV.objects.get(slug="sanitas")
        rabiere = QPV.objects.get(slug="la-rabiere")
        specs: list[tuple[str, QPV, SpaceFormat, SpaceOrigin, str | None, FacilitatedBy]] = [
            (
                "Café des habitants du Sanitas",
                sanitas,
                SpaceFormat.CAFE,
                SpaceOrigin.CREATED,
                "Centre social du Sanitas",
                FacilitatedBy.PARTNER,
            ),
            (
                "Comité de suivi NPNRU Sanitas",
                sanitas,
                SpaceFormat.COMITE_NPNRU,
                SpaceOrigin.STRENGTHENED,
                "Ville de Tours — Politique de la ville",
                FacilitatedBy.VILLE,
            ),
            (
                "Conseil citoyen de la Rabière",
                rabiere,
                SpaceFormat.CONSEIL_CITOYEN,
                SpaceOrigin.STRENGTHENED,
                "Centre social de la Rabière",
                FacilitatedBy.RESIDENTS,
            ),
        ]
        for qpv in QPV.objects.exclude(slug__in=["sanitas", "la-rabiere"]):
            specs.append(
                (
                    f"Conseil citoyen — {qpv.name}",
                    qpv,
                    SpaceFormat.CONSEIL_CITOYEN,
                    SpaceOrigin.STRENGTHENED if qpv.code_2015 else SpaceOrigin.CREATED,
                    None,
                    FacilitatedBy.RESIDENTS,
                )
            )
        result = {}
        for name, qpv, space_format, origin, host, facilitated_by in specs:
            space, _ = DialogueSpace.objects.update_or_create(
                qpv=qpv,
                name=name,
                defaults={
                    "format": space_format,
                    "origin": origin,
                    "host_organisation": organisations[host] if host else None,
                    "facilitated_by": facilitated_by,
                    "charter": "Chacun parle à son tour, d'égal à égal ; "
                    "les institutions répondent à chaque question posée.",
                },
            )
            result[name] = space
        return result

    def _accounts(self, organisations, spaces) -> list[DemoAccount]:
        tours = Commune.objects.get(slug="tours")
        joue = Commune.objects.get(slug="joue-les-tours")
        sanitas = QPV.objects.get(slug="sanitas")
        accounts = [
            DemoAccount("habitante@example.org", "Awa Habitante", None, {}),
            DemoAccount(
                "animatrice@example.org",
                "Nadia Animatrice",
                Role.FACILITATOR,
                {"dialogue_space": spaces["Café des habitants du Sanitas"]},
            ),
            DemoAccount(
                "animateur.sanitas@example.org",
                "Karim Animateur",
                Role.FACILITATOR,
                {"qpv": sanitas},
            ),
            DemoAccount(
                "referente.tours@example.org", "Claire Référente", Role.REFERENT, {"commune": tours}
            ),
            DemoAccount(
                "referent.joue@example.org", "Marc Référent", Role.REFERENT, {"commune": joue}
            ),
            DemoAccount(
                "correspondant@example.org",
                "Luc Correspondant",
                Role.CORRESPONDENT,
                {"organisation": organisations["Tours Habitat"]},
            ),
            DemoAccount("delegue@example.org", "Sophie Déléguée", Role.DELEGATE, {}),
            DemoAccount("coordinatrice@example.org", "Inès Coordinatrice", Role.COORDINATOR, {}),
        ]
        for account in accounts:
            user, created = User.objects.get_or_create(
                email=account.email, defaults={"full_name": account.full_name}
            )
            if created or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            EmailAddress.objects.update_or_create(
                user=user, email=account.email, defaults={"verified": True, "primary": True}
            )
            if account.role is not None:
                RoleAssignment.objects.get_or_create(user=user, role=account.role, **account.scope)
                _demo_second_factor(user)
        return accounts

    def _print_logins(self, accounts: list[DemoAccount]) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for account in accounts:
            role = account.role.label if account.role else "resident"
            scope = ", ".join(str(value) for value in account.scope.values()) or "—"
            self.stdout.write(f"  {account.email:<32} {role!s:<36} {scope}")
        self.stdout.write(
            "Staff accounts then ask for a two-factor code: run `make demo-code` "
            f"(or add the secret {DEMO_TOTP_SECRET} to an authenticator app)."
        )
        self.stdout.write("Open http://127.0.0.1:8000 — emails (login codes) land in var/mail/.")
        self.stdout.write("")


def _demo_second_factor(user: User) -> None:
    """Give a demo staff account the shared demo TOTP secret and recovery codes, once."""
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return
    TOTP.activate(user, DEMO_TOTP_SECRET)
    RecoveryCodes.activate(user)
