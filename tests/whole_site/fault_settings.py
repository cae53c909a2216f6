"""The production settings, for the portal that tests/whole_site/test_faults.py runs under gunicorn.

One difference only: static files are not collected (WhiteNoise's compressed manifest takes about
40 seconds to build and no static file is requested); `{% static %}` then needs no manifest.
"""

from participation.settings import *  # noqa: F403
from participation.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
