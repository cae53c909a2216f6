"""Messages of projects: what happens to the ideas residents propose online, in French.

Each moderation decision (published, or not with the reason) is one short message to the resident
who proposed the idea, through notifications.notify_resident (by email and/or SMS as they chose,
linking to their "Mon espace"), queued on commit: a refused action sends nothing.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from notifications.models import Topic
from notifications.services import notify_resident
from participation.mail import absolute, in_french
from projects.models import Project

# The title of an idea in an SMS: the rest of the 160 characters is the sentence and the link.
SMS_TITLE_LENGTH = 40


def _tell_proposer(project: Project, *, subject: str, lines: list[str], sms_text: str) -> None:
    user = project.proposed_by
    if user is None:  # the account was deleted since
        return
    notify_resident(
        topic=Topic.UPDATES,
        subject=subject,
        lines=lines,
        sms_text=sms_text,
        user=user,
        link=absolute(reverse("account_home") + "#idees"),
    )


@in_french
def idea_accepted(project: Project) -> None:
    """Moderation published an idea: the resident who proposed it is told."""
    values = {"title": project.title, "qpv": project.qpv.name}
    _tell_proposer(
        project,
        subject=_("Your idea is published — %(title)s") % values,
        lines=[
            _("Your idea “%(title)s” is published on the projects of %(qpv)s. Thank you!") % values,
            _("Residents and the team of the neighbourhood can now take it further."),
        ],
        sms_text=_("Your idea “%(title)s” is published.")
        % {"title": Truncator(project.title).chars(SMS_TITLE_LENGTH)},
    )


@in_french
def idea_rejected(project: Project) -> None:
    """Moderation refused to publish an idea: the resident who proposed it learns why."""
    values = {"title": project.title, "qpv": project.qpv.name}
    _tell_proposer(
        project,
        subject=_("Your project idea was not published — %(qpv)s") % values,
        lines=[
            _("Your idea “%(title)s” was not published.") % values,
            _("The reason given by the team: %(reason)s") % {"reason": project.rejected_reason},
            _("You may propose another idea: %(url)s")
            % {
                "url": absolute(
                    reverse("projects:project_propose", kwargs={"slug": project.qpv.slug})
                )
            },
        ],
        sms_text=_("Your idea “%(title)s” was not published: the reason is in My space.")
        % {"title": Truncator(project.title).chars(SMS_TITLE_LENGTH)},
    )
