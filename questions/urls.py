"""Questions and answers: public Q&A, intake, moderation, routing, answers, overdue follow-up."""

from django.urls import path

from questions.views import follows, intake, public, staff

app_name = "questions"

urlpatterns = [
    path("questions/", public.questions, name="questions"),
    path("questions/<int:pk>/", public.question_detail, name="question"),
    path("questions/<int:pk>/suivre/", follows.follow, name="follow"),
    path("questions/<int:pk>/ne-plus-suivre/", follows.unfollow, name="unfollow"),
    path("quartiers/<slug:slug>/questions/", public.qpv_questions, name="qpv_questions"),
    path("quartiers/<slug:slug>/questions/poser/", intake.question_ask, name="question_ask"),
    path(
        "quartiers/<slug:slug>/questions/semblables/",
        intake.similar_questions,
        name="similar_questions",
    ),
    path(
        "questions/confirmer/<str:signed>/",
        intake.question_confirm,
        name="question_confirm",
    ),
    path("compte/questions/", intake.my_questions, name="my_questions"),
    path(
        "espace-pro/rencontres/<int:pk>/questions/",
        intake.meeting_questions,
        name="meeting_questions",
    ),
    path(
        "espace-pro/questions/moderation/",
        intake.moderation_queue,
        name="moderation_queue",
    ),
    path(
        "espace-pro/questions/<int:pk>/moderer/",
        intake.question_moderate,
        name="question_moderate",
    ),
    path("espace-pro/questions/", staff.questions_dashboard, name="questions_dashboard"),
    path("espace-pro/questions/<int:pk>/", staff.question_manage, name="question_manage"),
    path(
        "espace-pro/questions/<int:pk>/transmettre/",
        staff.question_route,
        name="question_route",
    ),
    path(
        "espace-pro/questions/<int:pk>/echeance/",
        staff.question_extend,
        name="question_extend",
    ),
    path(
        "espace-pro/questions/<int:pk>/clore/",
        staff.question_close,
        name="question_close",
    ),
    path(
        "espace-pro/questions/<int:pk>/reponse/",
        staff.question_answer,
        name="question_answer",
    ),
]
