import functools

from allauth.mfa.models import Authenticator
from allauth.usersessions.admin import UserSessionAdmin as BaseUserSessionAdmin
from allauth.usersessions.models import UserSession
from auditlog.admin import LogEntryAdmin as BaseLogEntryAdmin
from auditlog.filters import CIDFilter, ResourceTypeFilter
from auditlog.models import LogEntry
from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import BadRequest, FieldDoesNotExist
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from participation.admin_labels import name_third_party_models, permission_label
from participation.models import RoleAssignment, User

name_third_party_models()


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["qpv", "commune", "organisation", "dialogue_space"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "is_active")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ["email", "full_name", "is_active", "date_joined"]
    list_filter = ["is_active", "role_assignments__role"]
    search_fields = ["email", "full_name"]
    ordering = ["email"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "is_active"]}),
        (_("Dates"), {"fields": ["date_joined", "last_login"]}),
    ]
    inlines = [RoleAssignmentInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
            kwargs["fields"] = ["email", "password1", "password2"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["email", "password1", "password2"]})]
        return super().get_fieldsets(request, obj)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "scope", "created_at"]
    list_filter = ["role", "commune", "qpv"]
    search_fields = ["user__email", "user__full_name"]
    autocomplete_fields = ["user", "qpv", "commune", "organisation", "dialogue_space"]
    list_select_related = ["user", "qpv", "commune", "organisation", "dialogue_space__qpv"]

    @admin.display(description=_("scope"))
    def scope(self, assignment: RoleAssignment) -> str:
        return assignment.scope_label


# Groups give Django permissions, whose names are stored in English: listed in French.
admin.site.unregister(Group)


class PermissionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return permission_label(obj)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "permissions":
            kwargs["form_class"] = PermissionsField
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)

    def get_deleted_objects(self, objs, request):
        """Without the links to the permissions, which Django names in English ("Group_permissions
        object (1)"): deleting a group removes them, nothing else."""
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        links = Group.permissions.through._meta
        model_count.pop(str(links.verbose_name_plural), None)
        prefix = f"{capfirst(str(links.verbose_name))}:"
        return _without(to_delete, prefix), model_count, perms_needed, protected


def _without(nested: list, prefix: str) -> list:
    """A nested list of the admin's deletion summary, without the lines starting with `prefix`."""
    kept: list = []
    for item in nested:
        if isinstance(item, list):
            if inner := _without(item, prefix):
                kept.append(inner)
        elif not str(item).startswith(prefix):
            kept.append(item)
    return kept


# allauth's own admin shows an authenticator's data: the TOTP secret, the seed of the recovery
# codes. Whoever reads them can make the codes of another staff member. Coordinators see who set up
# what, and delete an authenticator when someone lost their phone; never read nor write a secret.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Third-party admins search on fields our user model does not have (a username, first and last
# names): any search was a 500. They search on the email and the full name instead.
admin.site.unregister(UserSession)


@admin.register(UserSession)
class UserSessionAdmin(BaseUserSessionAdmin):
    search_fields = ["user__email", "user__full_name", "ip"]

    # A session is opened by signing in, not typed in the admin.
    def has_add_permission(self, request) -> bool:
        return False


class _ResourceTypeFilter(ResourceTypeFilter):
    def lookups(self, request, model_admin):
        """The types by their names ("Rencontre"), not their code names ("meeting")."""
        choices = []
        for type_id, code in super().lookups(request, model_admin):
            model = ContentType.objects.get_for_id(type_id).model_class()
            choices.append((type_id, capfirst(model._meta.verbose_name) if model else code))
        return sorted(choices, key=lambda choice: str(choice[1]))

    def queryset(self, request, queryset):
        try:
            return super().queryset(request, queryset)
        except ValueError as error:  # not a content type id: the admin says the filter is wrong
            raise IncorrectLookupParameters(error) from error


admin.site.unregister(LogEntry)
MSG_SHORT_FIELDS = 6


def _old_new(values) -> tuple[object, object]:
    if isinstance(values, dict):  # a many-to-many change: what was added or removed
        return "", ", ".join(map(str, values.get("objects", [])))
    return (values[0], values[1]) if len(values) == 2 else ("", values)


def _shown_value(value) -> str:
    return "—" if value in (None, "None", "") else str(value)


def _field_label(entry: LogEntry, name: str) -> str:
    """A changed field's name as the forms say it ("titre", not "title"), without a query."""
    model = entry.content_type.model_class()
    try:
        field = model._meta.get_field(name) if model else None
    except FieldDoesNotExist:
        field = None
    if field is None:
        return name
    if field.auto_created and field.is_relation:  # the other side of a relation: its model's name
        return str(field.related_model._meta.verbose_name_plural)
    return str(field.verbose_name)


@admin.register(LogEntry)
class LogEntryAdmin(BaseLogEntryAdmin):
    search_fields = ["timestamp", "object_repr", "changes", "actor__email", "actor__full_name"]
    list_filter = ["action", _ResourceTypeFilter, CIDFilter]
    # auditlog writes the columns below in English whatever the language: said again, in French.

    @admin.display(description=_("User"))
    def user_url(self, obj):
        return super().user_url(obj) if obj.actor else gettext("system")

    @admin.display(description=_("Changes"))
    def msg_short(self, obj):
        if obj.action in [LogEntry.Action.DELETE, LogEntry.Action.ACCESS]:
            return ""
        fields = [_field_label(obj, name) for name in obj.changes_dict]
        shown = ", ".join(fields[:MSG_SHORT_FIELDS]) + (
            ", …" if len(fields) > MSG_SHORT_FIELDS else ""
        )
        return ngettext(
            "%(count)s change: %(fields)s", "%(count)s changes: %(fields)s", len(fields)
        ) % {"count": len(fields), "fields": shown}

    @admin.display(description=_("Correlation ID"))
    def cid_url(self, obj):
        return super().cid_url(obj)

    @admin.display(description=_("Changes"))
    def msg(self, obj):
        """The changed fields by their names and values as the forms show them (a role's label,
        not its code), an empty value as a dash."""
        rows = [
            format_html(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                capfirst(str(name)),
                *(_shown_value(value) for value in _old_new(values)),
            )
            for name, values in obj.changes_display_dict.items()
        ]
        if not rows:
            return gettext("No field changes")
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th></tr>", _("Field"), _("From"), _("To")
        )
        return format_html("<table>{}{}</table>", header, mark_safe("".join(rows)))


def refuse_nul_bytes(admin_view):
    """Wrap AdminSite.admin_view (participation/urls.py): a query string with a NUL byte is a 400.

    The admin's lists filter on any field the query string names (`?title=…`, the values of
    list_filter), and PostgreSQL refuses NUL bytes in a query: unguarded, such a link is a 500.
    """

    @functools.wraps(admin_view)
    def wrap(view, cacheable=False):
        inner = admin_view(view, cacheable)

        @functools.wraps(inner)
        def guarded(request, *args, **kwargs):
            for key, values in request.GET.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise BadRequest("NUL byte in the query string.")
            return inner(request, *args, **kwargs)

        return guarded

    return wrap
