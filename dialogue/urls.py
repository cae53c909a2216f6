from django.urls import path

from dialogue.views import printables, public, registration, staff

app_name = "dialogue"

urlpatterns = [
    # Public agenda, meeting pages and calendar feeds.
    path("rencontres/", public.agenda, name="agenda"),
    path("rencontres/passees/", public.past_meetings, name="past"),
    path("rencontres/agenda.ics", public.agenda_ics, name="agenda_ics"),
    path("rencontres/<int:pk>/", public.meeting_detail, name="meeting"),
    path("rencontres/<int:pk>/imprimer/", public.meeting_print, name="meeting_print"),
    path("rencontres/<int:pk>/rencontre.ics", public.meeting_ics, name="meeting_ics"),
    path("quartiers/<slug:slug>/rencontres/", public.qpv_agenda, name="qpv_agenda"),
    path("quartiers/<slug:slug>/agenda.ics", public.qpv_agenda_ics, name="qpv_agenda_ics"),
    path("espaces/<int:pk>/", public.space_detail, name="space"),
    # Registration: residents with an account, guests confirming by email, signed links.
    path("rencontres/<int:pk>/inscription/", registration.register, name="register"),
    path(
        "inscriptions/confirmer/<str:signed>/",
        registration.confirm_guest,
        name="registration_confirm",
    ),
    path("inscriptions/gerer/<str:signed>/", registration.manage, name="registration_manage"),
    path("compte/inscriptions/", registration.my_registrations, name="my_registrations"),
    path(
        "compte/inscriptions/<int:pk>/annuler/",
        registration.cancel_mine,
        name="my_registration_cancel",
    ),
    # Espace pro: spaces and meetings of the user's scope.
    path("espace-pro/", staff.staff_home, name="staff_home"),
    path("espace-pro/espaces/nouveau/", staff.space_create, name="space_create"),
    path("espace-pro/espaces/<int:pk>/modifier/", staff.space_edit, name="space_edit"),
    path("espace-pro/rencontres/nouvelle/", staff.meeting_create, name="meeting_create"),
    path("espace-pro/rencontres/<int:pk>/modifier/", staff.meeting_edit, name="meeting_edit"),
    path(
        "espace-pro/rencontres/<int:pk>/dupliquer/",
        staff.meeting_duplicate,
        name="meeting_duplicate",
    ),
    path("espace-pro/rencontres/<int:pk>/annuler/", staff.meeting_cancel, name="meeting_cancel"),
    path(
        "espace-pro/rencontres/<int:pk>/inscrits/",
        staff.meeting_registrations,
        name="meeting_registrations",
    ),
    # Printables (WeasyPrint).
    path("espace-pro/rencontres/<int:pk>/affiche.pdf", printables.poster, name="meeting_poster"),
    path(
        "espace-pro/rencontres/<int:pk>/emargement.pdf",
        printables.signin_sheet,
        name="meeting_signin_sheet",
    ),
]
