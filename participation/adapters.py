from allauth.account.adapter import DefaultAccountAdapter

from participation.mail import OutgoingEmail, queue_email


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's emails (codes, password reset) leave through Celery like every other email."""
        message = self.render_mail(template_prefix, email, context)
        queue_email(OutgoingEmail.from_message(message))
