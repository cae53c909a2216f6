from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    default = True
    name = "participation"
    verbose_name = _("Accounts and roles")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up
        from allauth.mfa.signals import authenticator_added
        from django.contrib.auth.signals import user_logged_in

        from participation import audit, datacache
        from participation.adapters import second_factor_set_up
        from participation.invitation_views import accept_invitation_on_signup
        from participation.middleware import stamp_activity_on_login

        audit.register_models()
        # Every write bumps the data version of the page and indicator caches (issue 9).
        datacache.install()
        user_logged_in.connect(stamp_activity_on_login, dispatch_uid="stamp_activity_on_login")
        authenticator_added.connect(second_factor_set_up, dispatch_uid="second_factor_set_up")
        user_signed_up.connect(accept_invitation_on_signup, dispatch_uid="accept_invitation")


class ParticipationAdminConfig(admin_apps.AdminConfig):
    default = False
    """The Django admin, opened to coordinators (not to a separate is_staff flag)."""

    default_site = "participation.admin_site.CoordinatorAdminSite"
