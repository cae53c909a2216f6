"""The emails of the participation fund, in French, each with a plain-text part and HTML.

Same rules as dialogue.emails: rendered at once inside the caller's transaction, queued with
`queue_email`, sent by Celery once the transaction commits (a refused action sends nothing).
Templates: templates/projects/emails/fund_*.txt and .html (they extend the portal's email layout).

The collective's contact gets one email per step (received, decided). The referents of the
envelope's commune are colleagues: one email for all of them, with the link to the staff page.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from participation.mail import OutgoingEmail, absolute, in_french, queue_email, render_email
from projects.models import GrantApplication, GrantStatus
from projects.selectors import euros, place_name


def _email(name: str, *, subject: str, to: str | list[str], context: dict) -> OutgoingEmail:
    return render_email(f"projects/emails/{name}", subject=subject, to=to, context=context)


def _context(application: GrantApplication) -> dict:
    envelope = application.envelope
    return {
        "application": application,
        "place": place_name(envelope),
        "year": envelope.year,
        "requested": euros(application.amount_requested),
        "granted": euros(application.amount_granted),
        "lines": [
            {"label": line["label"], "amount": euros(line["amount"])}
            for line in application.budget_lines
        ],
        "envelopes_url": absolute(reverse("projects:envelopes")),
        "staff_url": absolute(reverse("projects:envelope_detail", kwargs={"pk": envelope.pk})),
    }


def referent_emails(commune_id: int) -> list[str]:
    """The active referents of a commune, in one query."""
    from participation.models import RoleAssignment
    from participation.roles import Role

    emails = (
        RoleAssignment.objects.filter(
            role=Role.REFERENT, commune_id=commune_id, user__is_active=True
        )
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )
    return list(dict.fromkeys(emails))


@in_french
def grant_received(application: GrantApplication) -> None:
    """To the collective: the application is received; what happens next."""
    queue_email(
        _email(
            "fund_application_received",
            subject=_("Your application to the participation fund is received — %(title)s")
            % {"title": application.title},
            to=[application.contact_email],
            context={**_context(application), "name": application.contact_name},
        )
    )


@in_french
def grant_new_application(application: GrantApplication) -> int:
    """To the referents of the envelope's commune: a new application to put before the committee."""
    envelope = application.envelope
    commune_id = envelope.qpv.commune_id if envelope.qpv_id else envelope.commune_id
    recipients = referent_emails(commune_id)
    if recipients:
        queue_email(
            _email(
                "fund_application_new",
                subject=_("New application to the participation fund of %(place)s: %(title)s")
                % {"place": place_name(envelope), "title": application.title},
                to=recipients,
                context={**_context(application), "name": ""},
            )
        )
    return len(recipients)


@in_french
def grant_decided(application: GrantApplication) -> None:
    """To the collective: the committee's decision, the amount granted or the reason of refusal."""
    if application.status == GrantStatus.GRANTED:
        subject = _("Your application is granted: %(amount)s for %(title)s") % {
            "amount": euros(application.amount_granted),
            "title": application.title,
        }
    else:
        subject = _("Your application to the participation fund is not granted — %(title)s") % {
            "title": application.title
        }
    meeting = application.decision_meeting
    queue_email(
        _email(
            "fund_application_decided",
            subject=subject,
            to=[application.contact_email],
            context={
                **_context(application),
                "name": application.contact_name,
                "is_granted": application.status == GrantStatus.GRANTED,
                "is_partial": (
                    application.status == GrantStatus.GRANTED
                    and application.amount_granted < application.amount_requested
                ),
                "meeting": meeting,
                "meeting_day": (meeting.starts_at if meeting is not None else None),
            },
        )
    )
