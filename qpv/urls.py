from django.urls import path

from qpv import views

app_name = "qpv"

urlpatterns = [
    path("", views.home, name="home"),
    path("quartiers/<slug:slug>/", views.qpv_detail, name="detail"),
]
