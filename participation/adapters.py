from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings

from participation.mail import OutgoingEmail, queue_email


@dataclass(frozen=True)
class PortalSite:
    """What allauth's emails call "current_site": the portal's name and public domain."""

    name: str
    domain: str


def portal_site() -> PortalSite:
    return PortalSite(name="Quartiers en dialogue", domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's emails (codes, password reset) leave through Celery like every other email."""
        ctx = {
            "request": allauth_context.request,
            "email": email,
            "current_site": portal_site(),
            **context,
        }
        message = self.render_mail(template_prefix, email, ctx)
        queue_email(OutgoingEmail.from_message(message))
