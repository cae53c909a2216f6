from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("compte/preferences/", views.preferences, name="preferences"),
    path("compte/preferences/arreter-les-sms/", views.stop_sms, name="stop_sms"),
    path(
        "compte/preferences/desabonnement/<str:signed>/",
        views.email_unsubscribe,
        name="email_unsubscribe",
    ),
    path("sms/entrant/<str:secret>/", views.inbound_sms, name="inbound_sms"),
    path("espace-pro/sms/", views.sms_usage, name="sms_usage"),
]
