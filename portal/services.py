"""A resident's rights over their data (RGPD): see everything we hold, and delete their account.

They reach every app (registrations, questions, follows, projects, fund applications), so they live
here, above the apps. Deleting an account anonymises what the indicators are computed from instead
of deleting it: the registrations keep their meeting, status, presence and declared diversity data,
with the email replaced by the same pseudonym the guest-data purge uses, so every indicator stays
exactly the same.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from dialogue.models import ComebackInvitation, Registration
from dialogue.services.retention import pseudonym
from notifications.models import ContactPreference
from notifications.services import forget_phone, sms_opt_outs_forget
from participation.audit import audit_actor_forget, audit_entries_scrub
from participation.models import RoleAssignment, User
from participation.roles import scopes_of
from projects.models import GrantApplication, Project
from qpv.models import QPV, Follow
from questions.models import AnswerStatus, Question

ERASED = "—"


def _published_answer(question: Question) -> str:
    # A draft answer is not yet the institution's word: the asker sees only what is published.
    answer = getattr(question, "answer", None)
    if answer is None or answer.status != AnswerStatus.PUBLISHED:
        return ""
    return answer.text


@transaction.atomic
def set_name(*, user: User, full_name: str, home_qpv: QPV | None) -> None:
    """The name printed on sign-in sheets, and the resident's own neighbourhood (optional)."""
    user.full_name = full_name
    user.home_qpv = home_qpv
    user.save(update_fields=["full_name", "home_qpv"])
    # Their upcoming registrations print the new name too (the sheet is printed on the day).
    Registration.objects.filter(user=user, meeting__starts_at__gte=timezone.now()).update(
        name=full_name
    )


def personal_data_of(user: User) -> dict[str, Any]:
    """Everything the portal holds about an account, in a fixed number of queries.

    Values are plain data (dates stay dates: the HTML page formats them, the JSON encoder writes
    them in ISO 8601)."""
    roles = RoleAssignment.objects.filter(user=user).select_related(
        "qpv", "commune", "organisation", "dialogue_space"
    )
    registrations = (
        Registration.objects.filter(user=user)
        .select_related("meeting__dialogue_space__qpv")
        .order_by("-meeting__starts_at", "-pk")
    )
    questions = (
        Question.objects.filter(asked_by=user)
        .select_related("qpv", "organisation", "answer")
        .order_by("-received_on", "-pk")
    )
    follows = Follow.objects.filter(user=user).select_related("qpv").order_by("qpv__name")
    # The public questions followed instead of asking them again (questions.QuestionFollow).
    questions_followed = user.question_follows.select_related("question__qpv").order_by(
        "-created_at", "-pk"
    )
    projects = Project.objects.filter(proposed_by=user).select_related("qpv").order_by("-pk")
    applications = GrantApplication.objects.filter(submitted_by=user).order_by("-submitted_at")
    emails = EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    return {
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "email_addresses": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in emails
            ],
            "roles": [
                {"role": str(role.get_role_display()), "scope": role.scope_label} for role in roles
            ],
        },
        "registrations": [
            {
                "meeting": registration.meeting.title,
                "qpv": registration.meeting.dialogue_space.qpv.name,
                "starts_at": registration.meeting.starts_at,
                "name": registration.name,
                "email": registration.email,
                "phone": registration.phone,
                "status": str(registration.get_status_display()),
                "registered_at": registration.created_at,
                "attended": registration.attended,
                "gender": str(registration.get_gender_display()) if registration.gender else "",
                "age_band": (
                    str(registration.get_age_band_display()) if registration.age_band else ""
                ),
                "comeback_opt_in": registration.comeback_opt_in,
            }
            for registration in registrations
        ],
        "questions": [
            {
                "qpv": question.qpv.name,
                "received_on": question.received_on,
                "text": question.text,
                "addressed_to": question.organisation.name if question.organisation else "",
                "intended_for": str(question.get_addressed_to_display()),
                "name": question.asker_name,
                "email": question.asker_email,
                "show_name": question.show_name,
                "public_display": question.public_display,
                "status": str(question.get_status_display()),
                "answer": _published_answer(question),
            }
            for question in questions
        ],
        "follows": [{"qpv": follow.qpv.name, "since": follow.created_at} for follow in follows],
        "questions_followed": [
            {
                "qpv": follow.question.qpv.name,
                "text": follow.question.text,
                "since": follow.created_at,
            }
            for follow in questions_followed
        ],
        "project_ideas": [
            {
                "title": project.title,
                "qpv": project.qpv.name,
                "summary": project.summary,
                "stage": str(project.get_stage_display()),
                "proposed_at": project.created_at,
            }
            for project in projects
        ],
        "grant_applications": [
            {
                "title": application.title,
                "collective": application.collective_name,
                "contact_name": application.contact_name,
                "contact_email": application.contact_email,
                "contact_phone": application.contact_phone,
                "amount_requested": application.amount_requested,
                "status": str(application.get_status_display()),
                "submitted_at": application.submitted_at,
            }
            for application in applications
        ],
    }


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Delete an account; what it took part in stays, anonymised, so the figures do not change."""
    registrations = list(Registration.objects.filter(user=user).only("pk", "email", "phone"))
    # The SMS outbox keeps no trace of the account's numbers (the counts stay).
    preference = getattr(user, "contact_preference", None)
    phones = {registration.phone for registration in registrations} | {
        preference.phone if preference else ""
    }
    for phone in phones:
        forget_phone(phone)
    known_emails = {user.email.strip().lower()}
    for registration in registrations:
        known_emails.add(registration.email.strip().lower())
        # Each row's own address: a row registered under an older email keeps counting as before.
        registration.email = pseudonym(registration.email)
        registration.user = None
        registration.name = ""
        registration.phone = ""
    Registration.objects.bulk_update(
        registrations, ["email", "user", "name", "phone"], batch_size=1000
    )
    # The come-back limit ("at most one invitation a month") keeps working on the pseudonym.
    for email in known_emails:
        ComebackInvitation.objects.filter(email__iexact=email).update(email=pseudonym(email))
    questions = Question.objects.filter(asked_by=user)
    question_pks = list(questions.values_list("pk", flat=True))
    questions.update(asked_by=None, asker_name="", asker_email="", show_name=False)
    Follow.objects.filter(user=user).delete()
    project_pks = list(Project.objects.filter(proposed_by=user).values_list("pk", flat=True))
    Project.objects.filter(pk__in=project_pks).update(proposed_by=None)
    applications = list(
        GrantApplication.objects.filter(submitted_by=user).only("pk", "contact_email")
    )
    for application in applications:
        application.contact_name = ERASED
        application.contact_email = pseudonym(application.contact_email)
        application.contact_phone = ""
        application.submitted_by = None
    GrantApplication.objects.bulk_update(
        applications, ["contact_name", "contact_email", "contact_phone", "submitted_by"]
    )
    # The audit log's copies (issue 20): what those rows held, and, for a resident, their name on
    # the entries of what they did. A staff member's entries keep their author.
    audit_entries_scrub(model=Question, pks=question_pks)
    audit_entries_scrub(model=Project, pks=project_pks)
    audit_entries_scrub(
        model=GrantApplication, pks=[application.pk for application in applications]
    )
    if not (scopes_of(user).is_staff or user.is_superuser):
        audit_actor_forget(user_id=user.pk)
    EmailAddress.objects.filter(user=user).delete()
    RoleAssignment.objects.filter(user=user).delete()
    user.delete()
    # Its STOP, unless another account or a registration still gives the number (the preference
    # went with the account).
    phones -= {""}
    held = set(Registration.objects.filter(phone__in=phones).values_list("phone", flat=True))
    held |= set(ContactPreference.objects.filter(phone__in=phones).values_list("phone", flat=True))
    sms_opt_outs_forget(phones - held)
