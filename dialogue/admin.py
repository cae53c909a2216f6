from django.contrib import admin

from dialogue.models import DialogueSpace, Meeting, MeetingTranslation, Registration
from participation.forms import HTTPS_URL_FIELDS


@admin.register(DialogueSpace)
class DialogueSpaceAdmin(admin.ModelAdmin):
    list_display = ["name", "qpv", "format", "origin", "facilitated_by", "is_active"]
    list_filter = ["format", "origin", "qpv", "is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["qpv", "host_organisation"]
    list_select_related = ["qpv"]


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    fields = ["name", "email", "phone", "status", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        # Each row's label names the meeting: loaded with the rows, not once per row.
        return super().get_queryset(request).select_related("meeting")


class MeetingTranslationInline(admin.StackedInline):
    model = MeetingTranslation
    extra = 0
    fields = ["language", "title", "summary", "practical_information"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "dialogue_space", "starts_at", "status", "capacity"]
    list_filter = ["status", "mode", "dialogue_space__qpv"]
    search_fields = ["title", "venue"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["dialogue_space"]
    list_select_related = ["dialogue_space__qpv"]
    inlines = [MeetingTranslationInline, RegistrationInline]
    formfield_overrides = HTTPS_URL_FIELDS
