from django.urls import path

from portal import views

# Global names (no namespace), as the pages of the project package.
urlpatterns = [
    path("", views.home, name="home"),
    path("mon-quartier/", views.choose_qpv, name="choose_qpv"),
    path("quartiers/<slug:slug>/", views.qpv_page, name="qpv_page"),
    path("plan-du-site/", views.sitemap, name="sitemap"),
    # "Mon espace": before allauth's pages, which share the /compte/ prefix.
    path("compte/", views.account_home, name="account_home"),
    path("compte/mon-nom/", views.account_name, name="account_name"),
    path("compte/mes-donnees/", views.my_data, name="my_data"),
    path("compte/mes-donnees.json", views.my_data_json, name="my_data_json"),
    path("compte/supprimer/", views.account_delete, name="account_delete"),
]
