"""The Celery application: tasks are thin wrappers around services, queued on commit."""

from celery import Celery

from participation.startup import load_settings_or_exit

load_settings_or_exit()

app = Celery("participation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
