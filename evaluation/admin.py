from django.contrib import admin

from evaluation.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "progress", "size", "generated_at", "requested_by"]
    list_filter = ["status", "scheduled"]
    # The files are built by the report task, never uploaded (participation/uploads.py refuses).
    readonly_fields = ["file", "odt_file", "checksum", "size", "generated_at", "error", "attempts"]
    list_select_related = ["qpv", "commune", "requested_by"]
