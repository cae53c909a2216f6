from django.urls import path

from dialogue.views import (
    checkin,
    feedback,
    minutes,
    printables,
    public,
    registration,
    staff,
    tracker,
    translations,
)

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
    # Registration: residents with an account, guests confirming by email or SMS code, signed links.
    path("rencontres/<int:pk>/inscription/", registration.register, name="register"),
    path(
        "rencontres/<int:pk>/inscription/code/",
        registration.registration_code,
        name="registration_code",
    ),
    path(
        "inscriptions/confirmer/<str:signed>/",
        registration.confirm_guest,
        name="registration_confirm",
    ),
    path("inscriptions/gerer/<str:signed>/", registration.manage, name="registration_manage"),
    path(
        "inscriptions/invitations-a-revenir/desabonnement/<str:signed>/",
        registration.comeback_unsubscribe,
        name="comeback_unsubscribe",
    ),
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
    # Translations of a meeting's invitation into residents' languages.
    path(
        "espace-pro/rencontres/<int:pk>/traductions/",
        translations.meeting_translations,
        name="meeting_translations",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/traductions/<str:language>/",
        translations.meeting_translation_edit,
        name="meeting_translation_edit",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/traductions/<str:language>/supprimer/",
        translations.meeting_translation_delete,
        name="meeting_translation_delete",
    ),
    # Printables (WeasyPrint).
    path("espace-pro/rencontres/<int:pk>/affiche.pdf", printables.poster, name="meeting_poster"),
    path(
        "espace-pro/rencontres/<int:pk>/emargement.pdf",
        printables.signin_sheet,
        name="meeting_signin_sheet",
    ),
    # Meeting log (espace pro): check-in at the door, attendance, speaking time, minutes, feedback.
    path("espace-pro/rencontres/<int:pk>/journal/", checkin.meeting_log, name="meeting_log"),
    path("espace-pro/rencontres/<int:pk>/accueil/", checkin.checkin, name="checkin"),
    path(
        "espace-pro/rencontres/<int:pk>/accueil/presence/<int:registration_pk>/",
        checkin.checkin_toggle,
        name="checkin_toggle",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/accueil/sans-inscription/",
        checkin.walkin_add,
        name="walkin_add",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/accueil/sans-inscription/plusieurs/",
        checkin.walkin_bulk,
        name="walkin_bulk",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/accueil/annuler/", checkin.checkin_undo, name="checkin_undo"
    ),
    path(
        "espace-pro/rencontres/<int:pk>/accueil/enregistrer/",
        checkin.attendance_save,
        name="attendance_save",
    ),
    path("espace-pro/rencontres/<int:pk>/temps-de-parole/", tracker.tracker, name="tracker"),
    path(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/prise/",
        tracker.tracker_start,
        name="tracker_start",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/stop/",
        tracker.tracker_stop,
        name="tracker_stop",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/pause/",
        tracker.tracker_pause,
        name="tracker_pause",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/intervenants/",
        tracker.tracker_speakers,
        name="tracker_speakers",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/etat/",
        tracker.tracker_state,
        name="tracker_state",
    ),
    path(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/tour/",
        tracker.turn_add,
        name="turn_add",
    ),
    path("espace-pro/rencontres/<int:pk>/compte-rendu/", minutes.minutes_edit, name="minutes_edit"),
    path("rencontres/<int:pk>/compte-rendu/", minutes.minutes_detail, name="minutes"),
    path(
        "rencontres/<int:pk>/compte-rendu/piece-jointe/",
        minutes.minutes_attachment,
        name="minutes_attachment",
    ),
    path("avis/<str:token>/", feedback.feedback_form, name="feedback"),
    path("compte/avis/<int:pk>/", feedback.feedback_mine, name="feedback_mine"),
    path("rencontres/<int:pk>/avis/", feedback.feedback_on_the_spot, name="feedback_on_the_spot"),
    path("espace-pro/rencontres/<int:pk>/avis/qr/", feedback.feedback_qr, name="feedback_qr"),
]
