from django.contrib import admin

from projects.models import (
    ExperienceEvaluation,
    FundEnvelope,
    GrantApplication,
    GrantPayment,
    InfluenceRecord,
    Project,
    ProjectStep,
)


class ProjectStepInline(admin.TabularInline):
    model = ProjectStep
    extra = 0
    # Who recorded the step is shown, not chosen: a select of every account on each row would
    # cost a query per step.
    readonly_fields = ["created_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "qpv", "stage", "moderation", "updated_at"]
    list_filter = ["stage", "moderation", "qpv"]
    search_fields = ["title"]
    inlines = [ProjectStepInline]
    list_select_related = ["qpv"]
    # Select boxes would list every meeting, question, space (named with its QPV) and account.
    raw_id_fields = ["origin_meeting", "origin_question", "origin_space", "proposed_by"]


@admin.register(FundEnvelope)
class FundEnvelopeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "year", "amount"]
    list_filter = ["year"]
    list_select_related = ["qpv", "commune"]


class GrantPaymentInline(admin.TabularInline):
    model = GrantPayment
    extra = 0
    # As for the steps: shown, not a select of every account on each row.
    readonly_fields = ["recorded_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


@admin.register(GrantApplication)
class GrantApplicationAdmin(admin.ModelAdmin):
    list_display = ["title", "envelope", "amount_requested", "amount_granted", "status"]
    list_filter = ["status", "envelope__year"]
    inlines = [GrantPaymentInline]
    list_select_related = ["envelope__qpv", "envelope__commune"]


admin.site.register(InfluenceRecord)
admin.site.register(ExperienceEvaluation)
