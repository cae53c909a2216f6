from django.urls import path

from qpv.views import follows, news

app_name = "qpv"

urlpatterns = [
    path("quartiers/<slug:slug>/suivre/", follows.follow, name="follow"),
    path("quartiers/<slug:slug>/ne-plus-suivre/", follows.unfollow, name="unfollow"),
    path("suivis/desabonnement/<str:signed>/", follows.unsubscribe, name="unsubscribe"),
    # News of the neighbourhoods ("actualités du quartier").
    path("actualites/", news.news, name="news"),
    path("actualites/<int:pk>/", news.news_item, name="news_item"),
    path("actualites/<int:pk>/image", news.news_image, name="news_image"),
    path("quartiers/<slug:slug>/actualites/", news.qpv_news, name="qpv_news"),
    path("espace-pro/actualites/", news.staff_news, name="staff_news"),
    path("espace-pro/actualites/nouvelle/", news.news_create, name="news_create"),
    path("espace-pro/actualites/<int:pk>/modifier/", news.news_edit, name="news_edit"),
]
