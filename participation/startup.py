"""Start-up guard shared by manage.py, WSGI and Celery: a bad setting is one clear line."""

import importlib
import os
import sys


def load_settings_or_exit() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "participation.settings")
    from participation.env import SettingsError

    try:
        importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    except SettingsError as error:
        sys.stderr.write(f"Configuration error: {error}\n")
        raise SystemExit(2) from None
