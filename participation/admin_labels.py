"""French names for what third-party apps show in the admin (issue 19).

allauth's Authenticator and UserSession have no verbose names: Django derives "authenticator" and
"user session" from the class names, which no catalogue can translate. Their names, and those of
their fields, are given here as translatable strings (our catalogue has the French).

Only the running `_meta` is changed: the migrations read a model's options and fields from what
the code declared (`Meta.original_attrs`, `Field._verbose_name`), so no migration of a third-party
app follows from it.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# Msgids of Django, allauth and auditlog that our catalogue translates again (LOCALE_PATHS is read
# before the apps' catalogues): marked here so that makemessages keeps them.
# - Django's admin glues "de" to a model's name ("Ajout de attribution de rôle") and agrees
#   "sélectionnés" with any plural: said without elision nor agreement.
# - allauth calls its app "MFA"; auditlog has no French at all.
THIRD_PARTY_MSGIDS = (
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
    gettext_noop("Cannot delete %(name)s"),
    gettext_noop("%(app)s administration"),
    gettext_noop("Added {name} “{object}”."),
    gettext_noop("Deleted {name} “{object}”."),
    gettext_noop("Delete selected %(verbose_name_plural)s"),
    gettext_noop("MFA"),
    gettext_noop("Created"),
    gettext_noop("Resource"),
    gettext_noop("Changes"),
    gettext_noop("Resource Type"),
    gettext_noop("Correlation ID"),
    gettext_noop("Click to filter by records with this correlation id"),
    gettext_noop("create"),
    gettext_noop("update"),
    gettext_noop("delete"),
    gettext_noop("access"),
    gettext_noop("Created {repr:s}"),
    gettext_noop("Updated {repr:s}"),
    gettext_noop("Deleted {repr:s}"),
    gettext_noop("Logged {repr:s}"),
    gettext_noop("system"),
    gettext_noop("Relationship"),
    gettext_noop("Objects"),
    gettext_noop("No field changes"),
    gettext_noop("object pk"),
    gettext_noop("object id"),
    gettext_noop("object representation"),
    gettext_noop("change message"),
    gettext_noop("actor"),
    gettext_noop("remote address"),
    gettext_noop("remote port"),
    gettext_noop("timestamp"),
    gettext_noop("additional data"),
    gettext_noop("actor email"),
    # Stored in English by the migration of participation.User's Meta.permissions.
    gettext_noop("Configure the territory, organisations and roles"),
)

# Model -> (verbose name, plural, {field: verbose name}).
THIRD_PARTY_LABELS = {
    ("mfa", "authenticator"): (
        _("authenticator"),
        _("authenticators"),
        {
            "user": _("user"),
            "type": _("type"),
            "data": _("data"),
            "created_at": _("created at"),
            "last_used_at": _("last used at"),
        },
    ),
    ("usersessions", "usersession"): (
        _("user session"),
        _("user sessions"),
        {
            "user": _("user"),
            "created_at": _("created at"),
            "ip": _("IP address"),
            "last_seen_at": _("last seen at"),
            "session_key": _("session key"),
            "user_agent": _("browser (user agent)"),
            "data": _("data"),
        },
    ),
}


def name_third_party_models() -> None:
    from django.apps import apps

    for (app_label, model_name), (name, plural, fields) in THIRD_PARTY_LABELS.items():
        opts = apps.get_model(app_label, model_name)._meta
        opts.verbose_name = name
        opts.verbose_name_plural = plural
        for field_name, label in fields.items():
            opts.get_field(field_name).verbose_name = label


# The four permissions Django creates for each model are stored in English ("Can add meeting"):
# the admin's permission list says them in French from their code name.
DEFAULT_PERMISSION_VERBS = {
    "add": _("Can add"),
    "change": _("Can change"),
    "delete": _("Can delete"),
    "view": _("Can view"),
}


def permission_label(permission: Permission) -> str:
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    opts = model._meta
    action, _sep, rest = permission.codename.partition("_")
    if rest == opts.model_name and action in DEFAULT_PERMISSION_VERBS:
        what = str(DEFAULT_PERMISSION_VERBS[action])
    else:
        what = gettext(permission.name)
    app = apps_verbose_name(opts.app_label)
    return f"{app} | {capfirst(opts.verbose_name)} | {what}"


def apps_verbose_name(app_label: str) -> str:
    from django.apps import apps

    return str(apps.get_app_config(app_label).verbose_name)
