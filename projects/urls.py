from django.urls import path

from projects.views import fund, influence, public, question_search, staff

app_name = "projects"

urlpatterns = [
    # Projects: public pages, ideas proposed online, staff management.
    path("projets/", public.projects, name="projects"),
    path("projets/<int:pk>/", public.project_detail, name="project"),
    path("quartiers/<slug:slug>/projets/", public.qpv_projects, name="qpv_projects"),
    path("quartiers/<slug:slug>/projets/proposer/", public.project_propose, name="project_propose"),
    path("espace-pro/projets/", staff.staff_projects, name="staff_projects"),
    path("espace-pro/projets/nouveau/", staff.project_create, name="project_create"),
    path(
        "espace-pro/projets/questions-a-lier/",
        question_search.question_choices,
        name="question_choices",
    ),
    path("espace-pro/projets/idees/", staff.idea_moderation, name="idea_moderation"),
    path("espace-pro/projets/<int:pk>/modifier/", staff.project_edit, name="project_edit"),
    path("espace-pro/projets/<int:pk>/etape/", staff.project_step, name="project_step"),
    path("espace-pro/projets/<int:pk>/abandonner/", staff.project_abandon, name="project_abandon"),
    path(
        "espace-pro/projets/<int:pk>/evaluation/",
        staff.project_evaluation,
        name="project_evaluation",
    ),
    path("espace-pro/projets/<int:pk>/moderer/", staff.idea_moderate, name="idea_moderate"),
    # The participation fund: its envelopes, the applications, decisions and payments.
    path("fonds/", fund.envelopes, name="envelopes"),
    path("fonds/<int:pk>/candidater/", fund.grant_apply, name="grant_apply"),
    path("espace-pro/fonds/", fund.staff_envelopes, name="staff_envelopes"),
    path("espace-pro/fonds/nouveau/", fund.envelope_create, name="envelope_create"),
    path("espace-pro/fonds/<int:pk>/", fund.envelope_detail, name="envelope_detail"),
    path("espace-pro/fonds/<int:pk>/modifier/", fund.envelope_edit, name="envelope_edit"),
    path("espace-pro/fonds/demandes/<int:pk>/decision/", fund.grant_decide, name="grant_decide"),
    path("espace-pro/fonds/demandes/<int:pk>/paiement/", fund.grant_pay, name="grant_pay"),
    path(
        "espace-pro/fonds/demandes/<int:pk>/dossier/",
        fund.grant_check_file,
        name="grant_check_file",
    ),
    # "Vous avez dit, nous avons fait".
    path("vous-avez-dit/", influence.influence, name="influence"),
    path("quartiers/<slug:slug>/vous-avez-dit/", influence.qpv_influence, name="qpv_influence"),
    path("espace-pro/vous-avez-dit/", influence.staff_influence, name="staff_influence"),
    path("espace-pro/vous-avez-dit/nouveau/", influence.influence_create, name="influence_create"),
    path(
        "espace-pro/vous-avez-dit/<int:pk>/modifier/",
        influence.influence_edit,
        name="influence_edit",
    ),
]
