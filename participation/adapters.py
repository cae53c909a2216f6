from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import record_authentication
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from participation.mail import OutgoingEmail, queue_email
from participation.ratelimit import client_address
from participation.roles import scopes_of


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

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's limits count (login, codes, sign-up, password reset) and the
        sessions list shows: ours, read behind settings.TRUSTED_PROXIES proxies."""
        return client_address(request)

    def clean_email(self, email: str) -> str:
        """Signing up from an invitation's page, the account takes the invited address only: a
        link forwarded to someone else does not give them the role under their own address."""
        from participation.invitation_views import invited_email

        invited = invited_email(allauth_context.request)
        if invited and email.strip().lower() != invited.lower():
            raise ValidationError(
                _(
                    "This invitation was sent to %(email)s: the account is created with that "
                    "address. To use another one, ask the coordination team for a new invitation."
                )
                % {"email": invited}
            )
        return super().clean_email(email)

    def post_login(self, request, user, **kwargs) -> HttpResponse:
        """An account without a name is asked for one once, at its next login, then goes on."""
        response = super().post_login(request, user, **kwargs)
        if user.full_name or user.name_asked_at or not isinstance(response, HttpResponseRedirect):
            return response
        user.name_asked_at = timezone.now()
        user.save(update_fields=["name_asked_at"])
        query = urlencode({"next": response.url})
        return HttpResponseRedirect(f"{reverse('account_name')}?{query}")


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user) -> str:
        return user.email

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff keep their authenticator app: without it the professional area would close."""
        if authenticator.type != Authenticator.Type.TOTP:
            return super().can_delete_authenticator(authenticator)
        user = authenticator.user
        staff = scopes_of(user).is_staff or user.is_superuser
        return not (staff and settings.STAFF_MFA_REQUIRED)


def second_factor_set_up(sender, request, user, authenticator, **kwargs) -> None:
    """authenticator_added receiver: typing a valid code to set up TOTP proves the second factor.

    Without it, a staff member who just set up their app would be asked for a code at once.
    """
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
