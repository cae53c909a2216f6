from django.urls import path

from qpv import views, views_news

app_name = "qpv"

urlpatterns = [
    path("quartiers/<slug:slug>/suivre/", views.follow, name="follow"),
    path("quartiers/<slug:slug>/ne-plus-suivre/", views.unfollow, name="unfollow"),
    path("suivis/desabonnement/<str:signed>/", views.unsubscribe, name="unsubscribe"),
    # News of the neighbourhoods ("actualités du quartier").
    path("actualites/", views_news.news, name="news"),
    path("actualites/<int:pk>/", views_news.news_item, name="news_item"),
    path("actualites/<int:pk>/image", views_news.news_image, name="news_image"),
    path("quartiers/<slug:slug>/actualites/", views_news.qpv_news, name="qpv_news"),
    path("espace-pro/actualites/", views_news.staff_news, name="staff_news"),
    path("espace-pro/actualites/nouvelle/", views_news.news_create, name="news_create"),
    path("espace-pro/actualites/<int:pk>/modifier/", views_news.news_edit, name="news_edit"),
]
