"""Settings of Quartiers en dialogue, read from the environment (see README, "Configuration").

The local run needs no variable at all: SQLite under var/, emails written to var/mail/; `make run` adds
a Celery worker on files under var/broker/ (CELERY_BROKER_URL=filesystem://), else Celery runs eager.
Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import datetime
from importlib.util import find_spec
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from participation.env import (
    SettingsError,
    env_bool,
    env_database,
    env_http_url,
    env_int,
    env_languages,
    env_list,
    env_object_store,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise SettingsError("SECRET_KEY must be set when DEBUG is off.")
    # Only the local run gets here: a fixed, visibly unsafe key keeps sessions across restarts.
    SECRET_KEY = "insecure-local-run-only-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "participation.apps.ParticipationAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "auditlog",
    "rules.apps.AutodiscoverRulesConfig",
    "participation",
    "notifications",
    "qpv",
    "dialogue",
    "questions",
    "projects",
    "evaluation",
    "portal",
]
# Development tools (`load_demo`, `demo_code`, `generate_scale_dataset`): with DEBUG only, that is
# the local run, the tests and the benchmark's commands. The production image does not even contain
# the folder (.dockerignore), and no product module imports it.
if DEBUG and find_spec("devtools") is not None:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "participation.middleware.permissions_policy",
    "participation.uploads.request_body_limit",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "participation.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "participation.middleware.audit_actor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "participation.middleware.session_idle_timeout",
    "participation.middleware.staff_mfa_required",
    "participation.middleware.PathIdsInRangeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "participation.urls"
WSGI_APPLICATION = "participation.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "qpv.context_processors.territory",
            ],
            # Our ``date`` filter replaces Django's: "1er janvier", datetimes that validate;
            # ``{% error_title %}`` starts the title of a form sent with errors by "Erreur : ".
            "builtins": [
                "participation.templatetags.french_dates",
                "participation.templatetags.form_errors",
            ],
        },
    },
]

# Database: PostgreSQL in production and CI, SQLite for the one-command local run.
DATABASES = {"default": env_database("DATABASE_URL", VAR_DIR / "db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is both the Celery broker and the shared cache (allauth rate limits live in it).
REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's backend, keeping one redis-py client per pool (participation/redis_cache.py).
            "BACKEND": "participation.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "qed"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The broker: Redis in production. The local run (`make run`) sets CELERY_BROKER_URL=filesystem://:
# its worker, started beside the development server, takes the tasks from files under var/broker/,
# so that reports are built in the background as in production with no service to install. With
# neither (the tests), tasks run inline, in the process that queues them (eager).
LOCAL_BROKER_DIR = VAR_DIR / "broker"
_broker_choice = env_str("CELERY_BROKER_URL", "")
if _broker_choice not in {"", "filesystem://"}:
    raise SettingsError(
        "CELERY_BROKER_URL may only be filesystem:// (the local run's worker); "
        "production sets REDIS_URL instead."
    )
LOCAL_BROKER = not REDIS_URL and _broker_choice == "filesystem://"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
elif LOCAL_BROKER:
    CELERY_BROKER_URL = "filesystem://"
else:
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL.startswith("memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "participation")
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis hands a message taken by a worker that died before acknowledging it (acks_late) to another
# worker once it has waited this long (seconds). It must stay above the longest countdown of a
# retried task (emails: 30 minutes) and a report's build limit (10 minutes), or a task still waiting
# or running would run twice; the fault tests shorten it.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, int | str] = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 60 * 60, minimum=1)
}
# An SMS due later than this is queued with a countdown only when it fits under the visibility
# timeout (else Redis would hand it to a second worker); past it, the minute sweep sends it.
SMS_LONGEST_COUNTDOWN = int(CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]) // 2
if LOCAL_BROKER:
    # One folder for the messages (the web process writes, the worker reads), one for the exchange
    # tables (the worker's control commands); the transport needs both to exist.
    for _folder in (LOCAL_BROKER_DIR / "messages", LOCAL_BROKER_DIR / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(LOCAL_BROKER_DIR / "messages"),
        "data_folder_out": str(LOCAL_BROKER_DIR / "messages"),
        "control_folder": str(LOCAL_BROKER_DIR / "control"),
    }

# Accounts: a custom user model logged in by email, through django-allauth.
AUTH_USER_MODEL = "participation.User"
# Permissions come from roles and scopes (participation/rules.py), never from Django's per-user
# permission tables: ModelBackend is left out, which also spares two queries per permission check.
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "participation.backends.EmailAuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "account_home"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "participation.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# A name (and, if they wish, their neighbourhood) for the sign-in sheets: never the email (issue 17).
ACCOUNT_SIGNUP_FORM_CLASS = "portal.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Reauthentication (before changing an email address or an authenticator) must be as strong as the
# login it protects: a password or the second factor. allauth 65.22 adds an emailed code by default,
# which for staff would be weaker than their login (code or password, then TOTP): left out.
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Quartiers en dialogue] "
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = None
# allauth keeps its counters in the default cache: Redis in production, so limits hold across
# every web process.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}

# Two-factor authentication (allauth MFA): every staff member passes a TOTP code before any page
# under /espace-pro/ or /admin/ opens (participation.middleware.staff_mfa_required); recovery codes
# stand in for a lost phone. Residents may turn it on too.
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", default=True)
MFA_ADAPTER = "participation.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Quartiers en dialogue"
MFA_RECOVERY_CODE_COUNT = 10
# "Se déconnecter partout": allauth lists the account's sessions and ends the others. Tracking the
# last activity of each session would write on every request: the idle timeout below does not need it.
USERSESSIONS_TRACK_ACTIVITY = False
# A signed-in session ends after this long without a request (participation.middleware), and in any
# case SESSION_COOKIE_AGE after the login.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 60 * 60, minimum=60)

# Guests' names, emails and phones are purged this many days after their meeting (privacy page).
GUEST_DATA_RETENTION_DAYS = env_int("GUEST_DATA_RETENTION_DAYS", 365, minimum=30)
# Read by scripts/backup.sh too (it prunes older backups); here for the privacy page, which says it.
BACKUP_RETENTION_DAYS = env_int("BACKUP_RETENTION_DAYS", 35, minimum=1)

# Our own abuse limits (participation/ratelimit.py): (hits, seconds) per account when logged in,
# per client address otherwise.
RATE_LIMITS = {
    "guest_registration": (20, 600),
    # Codes sent by SMS to guests registering by mobile number: per client address, and per
    # number (so that nobody floods someone else's phone from many addresses).
    "registration_code": (6, 3600),
    "registration_code_number": (3, 3600),
    "registration_code_check": (30, 600),
    "online_question": (10, 600),
    "project_idea": (10, 600),
    "grant_application": (10, 600),
    "feedback_on_the_spot": (30, 3600),
    # Coordinators inviting (and sending again): a stolen session cannot flood inboxes.
    "invitation": (60, 3600),
}
# How many reverse proxies of ours stand in front of Django (docker-compose: 1, its nginx). 0 takes
# the client address from the connection (REMOTE_ADDR); N takes the N-th X-Forwarded-For entry from
# the right, the one our outermost proxy wrote (participation.ratelimit.client_address). It drives
# our abuse limits, allauth's (login, codes, sign-up) and the audit log's address. The former
# USE_X_FORWARDED_FOR=true still means one proxy.
TRUSTED_PROXIES = env_int(
    "TRUSTED_PROXIES", 1 if env_bool("USE_X_FORWARDED_FOR", default=False) else 0, minimum=0
)
# allauth reads the address through our adapter (AccountAdapter.get_client_ip); its own setting
# says the same for any code of allauth that would not.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXIES

# `make bench` only (bench/load.py): serve /bench/baseline, the cheapest page through the whole
# middleware stack, as the load benchmark's yardstick. Off everywhere else.
BENCH_BASELINE_VIEW = env_bool("BENCH_BASELINE_VIEW", default=False)
# Public pages are cached for visitors without a session until the next database write, and at
# most this many seconds (participation/datacache.py); 0 turns the cache off. Off by default for
# the local run and the tests (DEBUG), where a page must show at once what was just changed by hand.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0 if DEBUG else 60, minimum=0)

# Emails: files under var/mail for the local run, SMTP in production.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "participation.mail.FileEmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
# A mail server that is down: the first retry of an email waits up to this many seconds, each next
# one twice as long, up to 60 times this (participation.tasks.send_email). The fault tests shorten it.
EMAIL_RETRY_DELAY = env_int("EMAIL_RETRY_DELAY", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Quartiers en dialogue <ne-pas-repondre@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# SMS (notifications.sms): files under var/sms for the local run, Brevo's API in production.
SMS_BACKEND = env_str("SMS_BACKEND", "notifications.backends.FileSmsBackend")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "sms"))
SMS_BREVO_API_URL = env_http_url("SMS_BREVO_API_URL", "https://api.brevo.com/v3")
SMS_BREVO_API_KEY = env_str("SMS_BREVO_API_KEY", "")
# The name shown as the sender: 3 to 11 letters or digits (operators' rule), declared to Brevo.
SMS_SENDER = env_str("SMS_SENDER", "Quartiers")
if not (SMS_SENDER.isascii() and SMS_SENDER.isalnum() and 3 <= len(SMS_SENDER) <= 11):
    raise SettingsError(f"SMS_SENDER={SMS_SENDER!r} must be 3 to 11 letters or digits.")
if SMS_BACKEND.endswith(".BrevoSmsBackend") and not SMS_BREVO_API_KEY:
    raise SettingsError("SMS_BREVO_API_KEY must be set when SMS_BACKEND is Brevo's.")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10, minimum=1)
# The provider down: the first retry waits this many seconds, each next one twice as long
# (1 h, 2 h, 4 h, 8 h), SMS_MAX_ATTEMPTS tries in all; then the message is marked failed.
SMS_RETRY_DELAY = env_int("SMS_RETRY_DELAY", 60 * 60, minimum=1)
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 5, minimum=1)
# A confirmation code not sent within this many seconds is cancelled (it would arrive expired).
SMS_CODE_LIFETIME = env_int("SMS_CODE_LIFETIME", 15 * 60, minimum=60)
# Secret part of the inbound webhook's address (/sms/entrant/<secret>/), given to Brevo; empty
# turns the webhook off (404).
SMS_INBOUND_SECRET = env_str("SMS_INBOUND_SECRET", "")
# The sweep (every minute) sends at most this many SMS, for at most this many seconds.
SMS_SWEEP_BATCH = env_int("SMS_SWEEP_BATCH", 500, minimum=1)
SMS_SWEEP_SECONDS = env_int("SMS_SWEEP_SECONDS", 50, minimum=1)
# The phone numbers and texts of sent SMS are blanked after this many days (the counts stay).
SMS_RETENTION_DAYS = env_int("SMS_RETENTION_DAYS", 90, minimum=1)

# Internationalisation: French first, English available, Paris time.
LANGUAGE_CODE = "fr"
# Our French formats ("18 h 30") on top of Django's (participation/formats/fr/formats.py).
FORMAT_MODULE_PATH = ["participation.formats"]
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The languages staff may translate a meeting into (title, summary, practical information), shown
# on the meeting page and printed on its poster, in this order. From the environment:
# MEETING_TRANSLATION_LANGUAGES="ar,tr,pt,en" (codes, each optionally followed by "=native name").
MEETING_TRANSLATION_LANGUAGES = env_languages(
    "MEETING_TRANSLATION_LANGUAGES",
    {"ar": "العربية", "tr": "Türkçe", "pt": "Português", "en": "English"},
)
USE_I18N = True
# The Contrat de ville 2024-2030: every date typed in the portal falls within it
# (participation.contract). A new contract is a new version of the portal, not a setting to deploy.
CONTRACT_START = datetime.date(2024, 1, 1)
CONTRACT_END = datetime.date(2030, 12, 31)
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# Static files: npm assets copied into static/vendor at setup, served by WhiteNoise.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploaded and generated files (minutes, news images, reports) go through Django's storage API:
# MEDIA_ROOT on this machine by default (the local run, a single server), or, when S3_BUCKET is set,
# an S3-compatible object store shared by every web and worker process (participation.env
# .env_object_store reads S3_ENDPOINT_URL, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY,
# S3_PREFIX, S3_ADDRESSING_STYLE; participation/s3.py streams each object from one GET). Either
# way files are served only by the views that check who asks (minutes_attachment, news_image,
# report_download, through participation.storage.stored_file_response): objects stay private, and
# no address of the bucket is ever handed out, signed or not, since a signed address would outlive
# that check (and could be forwarded by anyone who got it).
OBJECT_STORE = env_object_store()
DEFAULT_STORAGE = (
    {
        "BACKEND": "participation.s3.PrivateS3Storage",
        "OPTIONS": OBJECT_STORE
        | {
            # No ACL header: the object takes the bucket's own, private. Never public-read.
            "default_acl": None,
            # url() gives the bare, unsigned address, which the bucket refuses (as /media/ is
            # refused locally): the admin's file links lead nowhere rather than around our checks.
            "querystring_auth": False,
            # A new name rather than replacing a file another row may still name (as on disk).
            "file_overwrite": False,
        },
    }
    if OBJECT_STORE
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Request bodies and uploads (participation/uploads.py). The largest legitimate body is the minutes'
# form: a 5 MB PDF (dialogue.forms.minutes.MAX_ATTACHMENT_BYTES) and the text; 8 MB leaves room for
# the form to answer "too big" itself up to that size. nginx's client_max_body_size is the same
# figure (deploy/nginx/quartiers.conf.template; tests/whole_site/test_reverse_proxy.py checks both).
MAX_REQUEST_BODY_BYTES = 8 * 1024 * 1024
# Form fields other than files (Django's default): far above the longest minutes.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Each form takes at most one file.
DATA_UPLOAD_MAX_NUMBER_FILES = 1
# Files past this size go to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    # First: a file sent to a view that takes none stops the parsing (400) before it is kept.
    "participation.uploads.UnexpectedFileHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
CRISPY_FAIL_SILENTLY = False

MESSAGE_TAGS = {40: "danger"}
# Flash messages wait in the session, server-side: a cookie would carry what they say (an address,
# a title) to the browser and back, readable by anyone holding the device or a proxy's logs.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Security. Every directive is strict; nothing is loaded from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8, minimum=300)
LANGUAGE_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# SQLite (local run only) cannot enforce "nulls not distinct" uniqueness; PostgreSQL does.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# Scheduled jobs (one beat process in production). Times are Europe/Paris (CELERY_TIMEZONE).
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    # Expired sessions, and the IP address and browser kept for each (privacy page).
    "participation-purge-ended-sessions": {
        "task": "participation.tasks.purge_ended_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
    # Guests' personal data, 12 months after their meeting (GUEST_DATA_RETENTION_DAYS).
    "dialogue-purge-guest-data": {
        "task": "dialogue.tasks.purge_guest_personal_data",
        "schedule": crontab(hour=3, minute=30),
    },
    "questions-purge-guest-contacts": {
        "task": "questions.tasks.purge_guest_question_contacts",
        "schedule": crontab(hour=3, minute=35),
    },
    # SMS whose time came (held for the morning, retried) or whose task was lost.
    "notifications-send-due-sms": {
        "task": "notifications.tasks.send_due_text_messages",
        "schedule": crontab(),
    },
    # Phone numbers and texts of old SMS are blanked; the counts stay (SMS_RETENTION_DAYS).
    "notifications-forget-old-sms": {
        "task": "notifications.tasks.forget_old_text_messages",
        "schedule": crontab(hour=3, minute=40),
    },
    # "The day before": in the morning, so an evening meeting's reminder is read in time.
    "dialogue-meeting-reminders": {
        "task": "dialogue.tasks.send_meeting_reminders",
        "schedule": crontab(hour=10, minute=0),
    },
    "dialogue-follow-digests": {
        "task": "dialogue.tasks.send_follow_digests",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    # Staff of held meetings whose minutes are still unpublished after 7 days.
    "dialogue-minutes-reminders": {
        "task": "dialogue.tasks.send_minutes_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    # Residents who came once and not for 3 months (opt-in), at most once a month each.
    "dialogue-comeback-invitations": {
        "task": "dialogue.tasks.send_comeback_invitations",
        "schedule": crontab(hour=11, minute=0),
    },
    # Questions: each organisation's overdue questions, and a summary to the referents (issue 5).
    "questions-overdue-reminders": {
        "task": "questions.tasks.send_question_reminders",
        "schedule": crontab(hour=7, minute=30, day_of_week="mon"),
    },
    # The previous year's reports for the Plenary Assembly (metropole and each commune), issue 7.
    "evaluation-annual-reports": {
        "task": "evaluation.tasks.schedule_annual_reports",
        "schedule": crontab(hour=6, minute=0, day_of_month=15, month_of_year=1),
    },
}
