"""The emails of projects, in French, each with a plain-text part and HTML (see dialogue.emails).

Rendered at once inside the caller's transaction and queued with `queue_email`: Celery sends them
once the transaction commits, so a refused action sends nothing.
Templates: templates/projects/emails/<name>.txt and .html (they extend the dialogue emails' base).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from participation.mail import OutgoingEmail, absolute, in_french, queue_email, render_email


def _email(name: str, *, subject: str, to: str | list[str], context: dict) -> OutgoingEmail:
    return render_email(f"projects/emails/{name}", subject=subject, to=to, context=context)


@in_french
def idea_rejected(project) -> None:
    """Moderation refused to publish an idea: the resident who proposed it learns why."""
    user = project.proposed_by
    if user is None or not user.email:
        return
    queue_email(
        _email(
            "idea_rejected",
            subject=_("Your project idea was not published — %(qpv)s") % {"qpv": project.qpv.name},
            to=user.email,
            context={
                "name": user.full_name,
                "project": project,
                "qpv": project.qpv,
                "reason": project.rejected_reason,
                "propose_url": absolute(
                    reverse("projects:project_propose", kwargs={"slug": project.qpv.slug})
                ),
            },
        )
    )
