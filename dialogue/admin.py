from django.contrib import admin

from dialogue.models import DialogueSpace


@admin.register(DialogueSpace)
class DialogueSpaceAdmin(admin.ModelAdmin):
    list_display = ["name", "qpv", "format", "origin", "facilitated_by", "is_active"]
    list_filter = ["format", "origin", "qpv", "is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["qpv", "host_organisation"]
    list_select_related = ["qpv"]
