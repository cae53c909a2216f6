from django.contrib import admin

from participation.forms import HTTPS_URL_FIELDS
from qpv.models import QPV, Commune, Organisation


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["name", "insee_code"]
    search_fields = ["name", "insee_code"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(QPV)
class QPVAdmin(admin.ModelAdmin):
    list_display = ["name", "commune", "code_2024", "code_2015", "npnru", "population"]
    list_filter = ["commune", "npnru"]
    search_fields = ["name", "code_2024", "code_2015"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["commune"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "contact_email", "is_active"]
    list_filter = ["kind", "is_active", "qpvs"]
    search_fields = ["name"]
    filter_horizontal = ["qpvs"]
    formfield_overrides = HTTPS_URL_FIELDS
