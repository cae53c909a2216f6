from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from participation import views

# The admin signs in through allauth, so the same rate limits and code login apply there.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include("qpv.urls")),
    path("", include("dialogue.urls")),
    path("", include("projects.urls")),
    path("", include("evaluation.urls")),
    path("compte/", views.account_home, name="account_home"),
    path("compte/mes-donnees/", views.my_data, name="my_data"),
    path("compte/mes-donnees.json", views.my_data_json, name="my_data_json"),
    path("compte/supprimer/", views.account_delete, name="account_delete"),
    path("compte/", include("allauth.urls")),
    path("espace-pro/journal-d-audit/", views.audit_log, name="audit_log"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", views.privacy, name="privacy"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("plan-du-site/", views.sitemap, name="sitemap"),
    path("langue/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
