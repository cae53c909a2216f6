from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    default = True
    name = "participation"
    verbose_name = _("Accounts and roles")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from participation import audit

        audit.register_models()


class ParticipationAdminConfig(admin_apps.AdminConfig):
    default = False
    """The Django admin, opened to coordinators (not to a separate is_staff flag)."""

    default_site = "participation.admin_site.CoordinatorAdminSite"
