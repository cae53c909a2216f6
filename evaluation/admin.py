from django.contrib import admin

from evaluation.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "progress", "size", "generated_at", "requested_by"]
    list_filter = ["status", "scheduled"]
    readonly_fields = ["checksum", "size", "generated_at", "error", "attempts"]
    list_select_related = ["qpv", "commune", "requested_by"]
