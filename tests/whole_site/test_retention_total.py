"""Retention is total (issue 20, item 1): once the guest purge and the account deletion have run,
no copy of a resident's email, phone number or name is left anywhere in the database, nor in the
media folder.

Every kind of personal data is created through the real services, with values found nowhere
else; staff act on them (moderation, decisions: the audit log copies what they touch); time
travels past GUEST_DATA_RETENTION_DAYS; the purges and the deletion run; then `pg_dump` writes the
whole committed database (hence a transactional test) and the dump, the decoded sessions and the
media folder are searched for each value. The audit log is also searched for the text of a
question that was never moderated.
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from dialogue.models import ComebackInvitation, Meeting, MeetingStatus, Registration
from dialogue.services.comeback import send_comeback_invitations
from dialogue.services.feedback import feedback_submit, feedback_token_for_account
from dialogue.services.registrations import registration_confirm_guest, registration_create
from dialogue.services.retention import purge_guest_personal_data
from notifications.models import OptOutSource, SmsOptOut, TextMessage
from notifications.services import contact_preference_update, sms_opt_out, sms_stop_for_account
from participation.models import User
from participation.roles import Role
from projects.services import fund as fund_services
from projects.services.projects import idea_moderate, idea_propose
from qpv.models import QPV, Follow
from questions import services as question_services
from questions.models import Question, Theme
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.participation.factories import PASSWORD, UserFactory, grant
from tests.projects.factories import FundEnvelopeFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Values found nowhere else, each phone number in the three ways people and the portal write it.
GUEST_EMAIL = "zephyrine.quillebeuf@example.org"
GUEST_NAME = "Zephyrine Quillebeuf"
GUEST_PHONE = ("06 12 34 56 78", "0612345678", "+33612345678")
SMS_GUEST_NAME = "Barnabe Tricotin"
SMS_GUEST_PHONE = ("07 98 76 54 32", "0798765432", "+33798765432")
ASKER_EMAIL = "honorine.petaudiere@example.org"
ASKER_NAME = "Honorine Petaudiere"
HEARD_NAME = "Leontine Carabosse"
ACCOUNT_EMAIL = "gaspard.virevolte@example.org"
ACCOUNT_NAME = "Gaspard Virevolte"
ACCOUNT_PHONE = ("06 55 44 33 22", "0655443322", "+33655443322")
CONTACT_NAME = "Philomene Berlingot"
CONTACT_EMAIL = "philomene.berlingot@example.org"
CONTACT_PHONE = ("07 11 22 33 44", "0711223344", "+33711223344")
NEVER_MODERATED = "Pourquoi le local velo du batiment Hirondelle reste-t-il ferme"

NEEDLES = [
    GUEST_EMAIL,
    *GUEST_NAME.split(),
    *GUEST_PHONE,
    *SMS_GUEST_NAME.split(),
    *SMS_GUEST_PHONE,
    ASKER_EMAIL,
    *ASKER_NAME.split(),
    *HEARD_NAME.split(),
    ACCOUNT_EMAIL,
    *ACCOUNT_NAME.split(),
    *ACCOUNT_PHONE,
    *CONTACT_NAME.split(),
    CONTACT_EMAIL,
    *CONTACT_PHONE,
]


def _pg_dump() -> str:
    """The whole test database as plain SQL, as a backup would hold it."""
    db = connection.settings_dict
    env = {"PATH": "/usr/bin:/bin", "PGPASSWORD": db["PASSWORD"] or ""}
    result = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "--host",
            db["HOST"] or "127.0.0.1",
            "--port",
            str(db["PORT"] or 5432),
            "--username",
            db["USER"] or "postgres",
            db["NAME"],
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "COPY public.auditlog_logentry" in result.stdout
    return result.stdout


def _sessions() -> str:
    # Session data are signed and encoded: decoded here, or a copy in them would go unseen.
    return json.dumps([session.get_decoded() for session in Session.objects.all()])


def _media() -> str:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return ""
    parts = []
    for path in root.rglob("*"):
        parts.append(str(path.relative_to(root)))
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def _hits_by_table(dump: str) -> dict[str, list[str]]:
    """{needle: the tables whose rows hold it}, so that a failure says where the copy is."""
    found: dict[str, list[str]] = {}
    for block in dump.split("\nCOPY ")[1:]:
        table = block.split(" ", 1)[0]
        for needle in _hits(block.split("\n\\.\n", 1)[0]):
            found.setdefault(needle, []).append(table)
    return found


def _hits(text: str) -> list[str]:
    lowered = text.lower()
    return [needle for needle in NEEDLES if needle.lower() in lowered]


def _create_every_kind_of_personal_data(now) -> dict:
    sanitas = QPV.objects.get(slug="sanitas")
    space = DialogueSpaceFactory(qpv=sanitas)
    referent = UserFactory()
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    first = MeetingFactory(dialogue_space=space)
    next_one = MeetingFactory(dialogue_space=space, starts_at=first.starts_at + timedelta(days=30))
    next_one.ends_at = next_one.starts_at + timedelta(hours=2)
    next_one.save(update_fields=["ends_at"])

    # A guest by email (with a phone, the SMS reminder and the come-back invitation), a guest by
    # mobile number only (a code by SMS), an account.
    guest = registration_create(
        meeting=first,
        name=GUEST_NAME,
        email=GUEST_EMAIL,
        phone=GUEST_PHONE[2],
        sms_reminders=True,
        comeback_opt_in=True,
    )
    registration_confirm_guest(registration=guest)
    registration_create(meeting=first, name=SMS_GUEST_NAME, phone=SMS_GUEST_PHONE[2])
    account = UserFactory(email=ACCOUNT_EMAIL, full_name=ACCOUNT_NAME)
    contact_preference_update(
        user=account,
        email_updates=True,
        email_reminders=True,
        phone=ACCOUNT_PHONE[0],
        sms_updates=True,
        sms_reminders=True,
    )
    Follow.objects.create(user=account, qpv=sanitas)
    with set_actor(account):  # as the request of a signed-in resident did until now
        registration_create(
            meeting=first, user=account, name=account.full_name, email=account.email
        )
        account_question = question_services.question_ask_online(
            qpv=sanitas,
            text="Quand la rampe du hall sera-t-elle reparee ?",
            theme=Theme.HOUSING,
            name=ACCOUNT_NAME,
            email=ACCOUNT_EMAIL,
            user=account,
            show_name=True,
        )
        idea = idea_propose(
            qpv=sanitas,
            title="Un composteur partage",
            summary="Un composteur au pied des immeubles.",
            carried_by="collective",
            user=account,
        )
        envelope = FundEnvelopeFactory(qpv=sanitas, year=timezone.localdate().year)
        application = fund_services.grant_apply(
            envelope=envelope,
            title="Fete des voisins",
            description="Un repas partage dans la cour.",
            collective_name="Collectif de la cour",
            contact_name=CONTACT_NAME,
            contact_email=CONTACT_EMAIL,
            contact_phone=CONTACT_PHONE[1],
            amount_requested=Decimal("300"),
            budget_lines=[("Repas", Decimal("300"))],
            by=account,
        )
    # Guests' questions: one asked online (confirmed), one never confirmed nor moderated.
    guest_question = question_services.question_ask_online(
        qpv=sanitas,
        text="Le square sera-t-il eclaire le soir ?",
        theme=Theme.HOUSING,
        name=ASKER_NAME,
        email=ASKER_EMAIL,
        show_name=True,
    )
    question_services.question_confirm_guest(question=guest_question)
    question_services.question_ask_online(
        qpv=sanitas,
        text=NEVER_MODERATED + " ?",
        theme=Theme.HOUSING,
        name=ASKER_NAME,
        email=ASKER_EMAIL,
    )
    # Staff work on all of it: what the audit log records.
    with set_actor(referent):
        question_services.question_log_at_meeting(
            meeting=first,
            text="Les bancs du square seront-ils remplaces ?",
            theme=Theme.HOUSING,
            by=referent,
            asker_name=HEARD_NAME,
            show_name=True,
        )
        for question in (account_question, guest_question):
            question_services.question_moderate(question=question, accept=True, by=referent)
        idea_moderate(project=idea, accept=True, by=referent)
        fund_services.grant_decide(
            application=application, granted=True, amount=Decimal("300"), by=referent
        )
    # Both numbers then say STOP (by SMS, and from the account's settings).
    sms_opt_out(phone=SMS_GUEST_PHONE[2], source=OptOutSource.KEYWORD)
    sms_stop_for_account(user=account)
    # The meeting is held: everyone came, the account answers the survey.
    Registration.objects.filter(meeting=first).update(attended=True)
    Meeting.objects.filter(pk=first.pk).update(status=MeetingStatus.HELD)
    feedback_submit(
        token=feedback_token_for_account(meeting=first, user=account),
        data={
            "felt_heard": 4,
            "felt_legitimate": 5,
            "understood_institutions": 3,
            "will_come_back": "yes",
            # Typed in an anonymous answer: no purge could find it again, so it is never kept.
            "comment": f"Bonne ambiance. Rappelez-moi au {ACCOUNT_PHONE[0]} ou {ACCOUNT_EMAIL}",
        },
        now=first.ends_at + timedelta(hours=1),
    )
    return {
        "first": first,
        "next_one": next_one,
        "account": account,
        "account_question": account_question,
        "guest_question": guest_question,
        "application": application,
    }


def _legacy_entries(made: dict) -> None:
    """Entries as the audit log wrote them before issue 20, values in clear and the resident as
    actor: the purge and the deletion must rewrite those already written too."""
    account = made["account"]
    for instance, changes in (
        (
            made["guest_question"],
            {"asker_name": ["None", ASKER_NAME], "asker_email": ["None", ASKER_EMAIL]},
        ),
        (made["account_question"], {"asker_email": ["None", ACCOUNT_EMAIL], "text": ["None", "x"]}),
        (
            made["application"],
            {"contact_phone": ["None", CONTACT_PHONE[1]], "contact_name": ["None", CONTACT_NAME]},
        ),
    ):
        entry = LogEntry.objects.log_create(
            instance,
            action=LogEntry.Action.CREATE,
            changes=changes,
            actor=account,
            actor_email=account.email,
            remote_addr="192.0.2.77",
        )
        # As auditlog 3.4.1 described such rows (their str(): a name, a question).
        LogEntry.objects.filter(pk=entry.pk).update(object_repr=f"{ASKER_NAME} — {ACCOUNT_NAME}")


def _travel_past_the_retention(first: Meeting, next_one: Meeting, now) -> None:
    """The meeting and the questions move back past the retention delay; a meeting stays ahead,
    so that the come-back invitation has one to offer."""
    days = settings.GUEST_DATA_RETENTION_DAYS + 30
    shift = first.starts_at - (now - timedelta(days=days))
    Meeting.objects.filter(pk=first.pk).update(
        starts_at=first.starts_at - shift, ends_at=first.ends_at - shift
    )
    Question.objects.update(received_on=timezone.localdate(now - timedelta(days=days)))
    Question.objects.update(due_on=timezone.localdate(now))
    assert Meeting.objects.get(pk=next_one.pk).ends_at > now


def test_no_personal_data_survive_the_purge_and_the_deletion(client, on_commit):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL (set DATABASE_URL).")
    now = timezone.now()
    with on_commit():
        made = _create_every_kind_of_personal_data(now)
    _travel_past_the_retention(made["first"], made["next_one"], now)
    with on_commit():
        assert send_comeback_invitations(now=now) == 1
    assert ComebackInvitation.objects.filter(email=GUEST_EMAIL).exists()
    assert TextMessage.objects.filter(phone=SMS_GUEST_PHONE[2]).exists()
    assert SmsOptOut.objects.count() == 2
    # Before: the personal data are there (the search finds what it looks for).
    _legacy_entries(made)
    dump_before = _pg_dump()
    before = set(_hits(dump_before))
    phones = (GUEST_PHONE, SMS_GUEST_PHONE, ACCOUNT_PHONE, CONTACT_PHONE)
    assert set(NEEDLES) - before == {number for phone in phones for number in phone} - before
    assert all(before & set(phone) for phone in phones)
    assert NEVER_MODERATED in dump_before
    assert not [entry for entry in LogEntry.objects.all() if NEVER_MODERATED in str(entry.changes)]

    with on_commit():
        purge_guest_personal_data(now=now)
        question_services.purge_guest_question_contacts(now=now)
    # The resident deletes their account from "Mes données", signed in (a session holds them).
    client.force_login(made["account"])
    assert Session.objects.exists()
    with on_commit():
        response = client.post(reverse("account_delete"), {"confirmation": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=made["account"].pk).exists()

    dump = _pg_dump()
    assert _hits_by_table(dump) == {}
    assert _hits(dump) == []
    assert _hits(_sessions()) == []
    assert _hits(_media()) == []
    assert not [entry for entry in LogEntry.objects.all() if NEVER_MODERATED in str(entry.changes)]
    assert NEVER_MODERATED not in "".join(LogEntry.objects.values_list("object_repr", flat=True))
