from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QpvConfig(AppConfig):
    name = "qpv"
    verbose_name = _("Territory")
