from django.contrib import admin

from projects.models import (
    ExperienceEvaluation,
    GrantApplication,
    GrantPayment,
    InfluenceRecord,
    ParticipationFund,
    Project,
    ProjectStep,
)


class ProjectStepInline(admin.TabularInline):
    model = ProjectStep
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "qpv", "stage", "moderation", "updated_at"]
    list_filter = ["stage", "moderation", "qpv"]
    search_fields = ["title"]
    inlines = [ProjectStepInline]
    list_select_related = ["qpv"]


@admin.register(ParticipationFund)
class ParticipationFundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "year", "amount"]
    list_filter = ["year"]


class GrantPaymentInline(admin.TabularInline):
    model = GrantPayment
    extra = 0


@admin.register(GrantApplication)
class GrantApplicationAdmin(admin.ModelAdmin):
    list_display = ["title", "fund", "amount_requested", "amount_granted", "status"]
    list_filter = ["status", "fund__year"]
    inlines = [GrantPaymentInline]


admin.site.register(InfluenceRecord)
admin.site.register(ExperienceEvaluation)
