from django.contrib import admin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from participation.models import RoleAssignment, User


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

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
            kwargs["fields"] = ["email", "password1", "password2"]
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["email", "password1", "password2"]})]
        return super().get_fieldsets(request, obj)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "scope_label", "created_at"]
    list_filter = ["role", "commune", "qpv"]
    search_fields = ["user__email", "user__full_name"]
    autocomplete_fields = ["user", "qpv", "commune", "organisation", "dialogue_space"]
    list_select_related = ["user", "qpv", "commune", "organisation", "dialogue_space__qpv"]
