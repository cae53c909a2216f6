"""The emails of the participation fund, in French, each with a plain-text part and HTML.

Same rules as dialogue.emails: rendered at once inside the caller's transaction, queued with
`queue_email`, sent by Celery once the transaction commits (a refused action sends nothing).
Templates: templates/projects/emails/fund_*.txt and .html (they extend the portal's email layout).

The collective's contact gets the receipt of its application by email. Then each change (decided,
paid) is one short message to the applicant through notifications.notify_resident: to the account
that applied, by email and/or SMS as it chose, linking to its "Mon espace"; to the contact email
of the application when no account follows it. The referents of the envelope's commune are
colleagues: one email for all of them, with the link to the staff page.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from notifications.models import Topic
from notifications.services import notify_resident
from participation.dates import date_format
from participation.mail import OutgoingEmail, absolute, in_french, queue_email, render_email
from projects.models import FileStatus, GrantApplication, GrantPayment, GrantStatus
from projects.selectors import euros, place_name

# The title of an application in an SMS: the rest of the 160 characters is the sentence and the link.
SMS_TITLE_LENGTH = 40


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
    commune_id = envelope.qpv.commune_id if envelope.qpv is not None else envelope.commune_id
    # An envelope is of a QPV or of a commune (envelope_qpv_xor_commune).
    assert commune_id is not None
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


def _short(title: str) -> str:
    """A title as an SMS quotes it: short enough to leave room for the link."""
    return Truncator(title).chars(SMS_TITLE_LENGTH)


def _tell_applicant(
    application: GrantApplication, *, subject: str, lines: list[str], sms_text: str
) -> None:
    """One message to whoever applied: the account (as it chose, linking to its "Mon espace"), or
    the contact given on the application when no account follows it."""
    user = application.submitted_by
    if user is not None:
        notify_resident(
            topic=Topic.UPDATES,
            subject=subject,
            lines=lines,
            sms_text=sms_text,
            user=user,
            link=absolute(reverse("account_home") + "#fph"),
        )
    else:
        notify_resident(
            topic=Topic.UPDATES,
            subject=subject,
            lines=lines,
            sms_text=sms_text,
            email=application.contact_email,
            name=application.contact_name,
            link=absolute(reverse("projects:envelopes")),
        )


@in_french
def grant_file_checked(application: GrantApplication) -> None:
    """To the applicant: the application is complete (the committee will examine it), or what is
    missing."""
    title = application.title
    if application.file_status == FileStatus.COMPLETE:
        subject = _("Your application is complete — %(title)s") % {"title": title}
        lines = [
            _("Your application “%(title)s” is complete.") % {"title": title},
            _("The residents' committee will examine it: you will be told its decision."),
        ]
        sms_text = _("Participation fund: your application “%(title)s” is complete.") % {
            "title": _short(title)
        }
    else:
        subject = _("Your application is incomplete — %(title)s") % {"title": title}
        lines = [
            _("Your application “%(title)s” is incomplete. What is missing:") % {"title": title},
            application.missing_pieces,
            _("Send it to the city policy team of your neighbourhood."),
        ]
        sms_text = _(
            "Participation fund: your application “%(title)s” is incomplete. See what is missing "
            "in My space."
        ) % {"title": _short(title)}
    _tell_applicant(application, subject=subject, lines=lines, sms_text=sms_text)


@in_french
def grant_decided(application: GrantApplication) -> None:
    """To the applicant: the committee's decision, the amount granted or the reason of refusal."""
    meeting = application.decision_meeting
    title = application.title
    if application.status == GrantStatus.GRANTED:
        amount = euros(application.amount_granted)
        subject = _("Your application is granted: %(amount)s for %(title)s") % {
            "amount": amount,
            "title": title,
        }
        values = {
            "amount": amount,
            "title": title,
            "requested": euros(application.amount_requested),
        }
        if meeting is not None:
            values["day"] = date_format(timezone.localtime(meeting.starts_at), "j F Y")
            first = (
                _(
                    "The residents' committee of %(day)s granted %(amount)s to “%(title)s” "
                    "(%(requested)s requested)."
                )
                % values
            )
        else:
            first = (
                _(
                    "The residents' committee granted %(amount)s to “%(title)s” (%(requested)s requested)."
                )
                % values
            )
        lines = [first]
        if application.decision_reason:
            lines.append(_("Reason: %(reason)s") % {"reason": application.decision_reason})
        sms_text = _("Participation fund: %(amount)s granted for “%(title)s”.") % {
            "amount": amount,
            "title": _short(title),
        }
    else:
        subject = _("Your application to the participation fund is not granted — %(title)s") % {
            "title": title
        }
        lines = [
            _("The residents' committee did not grant “%(title)s”.") % {"title": title},
            _("Reason: %(reason)s") % {"reason": application.decision_reason},
        ]
        sms_text = _(
            "Participation fund: “%(title)s” is not granted. The reason is in My space."
        ) % {"title": _short(title)}
    _tell_applicant(application, subject=subject, lines=lines, sms_text=sms_text)


@in_french
def grant_paid(payment: GrantPayment, *, paid_in_all: Decimal) -> None:
    """To the applicant: a payment of its grant is recorded, and how much is paid in all."""
    application = payment.application
    values = {
        "amount": euros(payment.amount),
        "title": application.title,
        "day": date_format(payment.paid_on, "j F Y"),
        "paid": euros(paid_in_all),
        "granted": euros(application.amount_granted),
    }
    _tell_applicant(
        application,
        subject=_("Payment of %(amount)s for “%(title)s”") % values,
        lines=[
            _("A payment of %(amount)s was made on %(day)s for “%(title)s”.") % values,
            _("In all, %(paid)s of the %(granted)s granted are paid.") % values,
        ],
        sms_text=_("Participation fund: %(amount)s paid for “%(title)s”.")
        % {**values, "title": _short(application.title)},
    )
