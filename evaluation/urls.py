from django.urls import path

from evaluation.views import dashboard, report_texts, reports, targets

app_name = "evaluation"

urlpatterns = [
    path("espace-pro/indicateurs/", dashboard.dashboard, name="dashboard"),
    path("espace-pro/indicateurs/export.csv", dashboard.export_csv, name="export_csv"),
    path("espace-pro/indicateurs/export.xlsx", dashboard.export_xlsx, name="export_xlsx"),
    path("espace-pro/indicateurs/objectifs/", targets.target_list, name="targets"),
    path("espace-pro/indicateurs/objectifs/<int:pk>/", targets.target_edit, name="target_edit"),
    path(
        "espace-pro/indicateurs/objectifs/<int:pk>/supprimer/",
        targets.target_delete,
        name="target_delete",
    ),
    path("espace-pro/rapports/", reports.reports, name="reports"),
    path("espace-pro/rapports/<int:pk>/", reports.report_detail, name="report"),
    path("espace-pro/rapports/<int:pk>/statut/", reports.report_status, name="report_status"),
    path(
        "espace-pro/rapports/<int:pk>/telecharger/",
        reports.report_download,
        name="report_download",
    ),
    path(
        "espace-pro/rapports/<int:pk>/telecharger.odt",
        reports.report_download_odt,
        name="report_download_odt",
    ),
    path("espace-pro/rapports/<int:pk>/relancer/", reports.report_retry, name="report_retry"),
    path(
        "espace-pro/rapports/<int:pk>/textes/",
        report_texts.report_texts_edit,
        name="report_texts",
    ),
    path(
        "espace-pro/rapports/<int:pk>/textes/etat/",
        report_texts.report_text_status,
        name="report_text_status",
    ),
    path(
        "espace-pro/rapports/<int:pk>/commentaires/",
        report_texts.report_comment,
        name="report_comment",
    ),
    path(
        "espace-pro/rapports/<int:pk>/regenerer/",
        report_texts.report_rebuild,
        name="report_rebuild",
    ),
]
