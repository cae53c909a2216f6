from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from participation import invitation_views, views
from participation.admin import refuse_nul_bytes

# The admin signs in through allauth, so the same rate limits and code login apply there.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # on purpose
# Its lists filter on any field the query string names, and PostgreSQL refuses NUL bytes in a query.
admin.site.admin_view = refuse_nul_bytes(admin.site.admin_view)  # type: ignore[method-assign]  # idem

urlpatterns = [
    path("", include("portal.urls")),
    path("", include("qpv.urls")),
    path("", include("dialogue.urls")),
    path("", include("questions.urls")),
    path("", include("projects.urls")),
    path("", include("evaluation.urls")),
    path("", include("notifications.urls")),
    path("compte/", include("allauth.urls")),
    path("espace-pro/journal-d-audit/", views.audit_log, name="audit_log"),
    path("espace-pro/invitations/", invitation_views.invitations, name="invitations"),
    path(
        "espace-pro/invitations/<int:pk>/renvoyer/",
        invitation_views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "espace-pro/invitations/<int:pk>/revoquer/",
        invitation_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitation/<str:token>/", invitation_views.invitation_accept, name="invitation_accept"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", views.privacy, name="privacy"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("glossaire/", views.glossary, name="glossary"),
    path("langue/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

if settings.BENCH_BASELINE_VIEW:
    urlpatterns.append(path("bench/baseline", views.bench_baseline))

# No public media folder, not even in the local run: every uploaded or generated file is served by
# a view that checks who asks (news images, minutes attachments, reports).

# 503 "service unavailable" while the database is unreachable, the 500 page otherwise.
handler500 = "participation.errors.server_error"
