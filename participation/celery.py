"""The Celery application: tasks are thin wrappers around services, queued on commit."""

from celery import Celery
from django.utils.module_loading import import_string

from participation.startup import load_settings_or_exit

load_settings_or_exit()

app = Celery("participation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_named(dotted_path: str):
    """The Celery task at this dotted path (`evaluation.tasks.build_report`), imported when asked.

    A task is a thin wrapper around a service, so a task module imports its services; a service that
    queues a task names it instead of importing its module, and the two never import each other.
    """
    return import_string(dotted_path)
