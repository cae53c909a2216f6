from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class CoordinatorAdminSite(admin.AdminSite):
    site_header = _("Quartiers en dialogue — configuration")
    site_title = _("Quartiers en dialogue")
    index_title = _("Configuration of the territory, organisations and roles")

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.has_perm("participation.configure")
