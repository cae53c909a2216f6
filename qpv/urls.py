from django.urls import path

from qpv import views

app_name = "qpv"

urlpatterns = [
    path("", views.home, name="home"),
    path("quartiers/<slug:slug>/", views.qpv_detail, name="detail"),
    path("quartiers/<slug:slug>/suivre/", views.follow, name="follow"),
    path("quartiers/<slug:slug>/ne-plus-suivre/", views.unfollow, name="unfollow"),
    path("suivis/desabonnement/<str:signed>/", views.unsubscribe, name="unsubscribe"),
]
