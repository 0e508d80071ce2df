"""Inspraak settings.

Everything is read from the environment, with defaults that are safe for production:
``DEBUG`` is off unless asked for, and without ``DEBUG`` a ``SECRET_KEY`` is required.
See the README's "Configuration" section for the full list.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-dev-only-8d2f6c1a9e4b7d3f0a5c2e8b1d6f4a9c"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The installation's Ed25519 key that signs the transparency logs' tree heads: standard
# base64 of the raw 32-byte private key (``manage.py signing_key`` makes one). Without it a
# key is derived from SECRET_KEY, and changes with it; set it for anything that lasts.
SIGNING_KEY = os.environ.get("SIGNING_KEY", "")

# The server runs ``manage.py purge`` (retention, signed heads) a minute after it starts
# and then daily; off when another scheduler (cron, a systemd timer) runs it.
DAILY_TICK = env_bool("DAILY_TICK", True)

# Public base URL, used where an absolute link is printed (QR codes, invitations).
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "channels",
    "sessions_app",
    "realtime",
    "printables",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which parses a form's body.
    "config.middleware.RequestBodyGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.PrivateForStaffMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

FORM_RENDERER = "config.forms.FormRenderer"

# --- Database -------------------------------------------------------------------------
# PostgreSQL when DATABASE_URL is set; otherwise SQLite in WAL mode. SQLite transactions
# start IMMEDIATE so that two writers queue on the busy timeout instead of failing when one
# of them upgrades a read lock (which WAL cannot wait for).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    sqlite_path = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"))
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": sqlite_path,
            # Keep the connection: opening one (and its PRAGMAs) per websocket message
            # cost more than the message itself. There is no server to drop it.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
            # Tests use a file, not memory, so that WAL is real and a separately started
            # Daphne can share the test database.
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH", str(BASE_DIR / "test_db.sqlite3"))},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "sessions_app.User"

# --- Channels -------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # The layer blocks on BZPOPMIN for 5 s; a socket timeout at or below
                        # that (redis-py's default is 5 s) kills receiving consumers.
                        "socket_timeout": env_int("REDIS_SOCKET_TIMEOUT", 15),
                        "socket_connect_timeout": 5,
                        # redis-py's pool default (and the layer's 100) is far too low for
                        # thousands of sockets per process.
                        "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000),
                        "retry_on_timeout": True,
                    }
                ],
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Seconds between looking for statements questions whose votes changed, to compute their
# opinion maps (in a worker process); 0 turns live opinion maps off.
OPINION_TICK = float(os.environ.get("OPINION_TICK") or 2.0)
#: Threads that run the pages' synchronous code (config.handlers), each with its own
#: database connection, kept.
HTTP_THREADS = max(1, env_int("HTTP_THREADS", 8))
# Request bodies (config/http_guard.py, config/middleware.py): from someone not signed in
# (the phones' forms are a few kilobytes), and at most of any request (the largest upload,
# a scanner's file of 100 MB, with its form around it).
MAX_ANONYMOUS_REQUEST_BYTES = env_int("MAX_ANONYMOUS_REQUEST_BYTES", 256 * 1024)
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 101 * 1024 * 1024)

# --- Privacy statement (/privacy/) -----------------------------------------------------
# Who is responsible for the personal data in this installation (the "controller" under
# the AVG/GDPR), for example "Gemeente Voorbeeldstad". Left empty, the privacy page says
# that the organisation running this installation has not filled it in yet.
PRIVACY_CONTROLLER = os.environ.get("PRIVACY_CONTROLLER", "").strip()
# Where people send questions and requests about their data: an e-mail or postal address.
PRIVACY_CONTACT = os.environ.get("PRIVACY_CONTACT", "").strip()
# How to reach the controller's data protection officer (functionaris gegevensbescherming);
# optional.
PRIVACY_DPO = os.environ.get("PRIVACY_DPO", "").strip()
# Retention, as the privacy page states it (and sessions_app.privacy.retention_defaults()
# gives it to code that erases): photos and scans of paper forms are kept until paper
# counting of their session closes, plus this many days.
RETENTION_PHOTOS_DAYS = env_int("RETENTION_PHOTOS_DAYS", 30)
# Open-text answers and the text of proposed statements are kept until the process closes,
# plus this many months, and then erased; the counted choices stay.
RETENTION_TEXTS_MONTHS = env_int("RETENTION_TEXTS_MONTHS", 12)
# Days a phone's signed participant cookie stays valid (sessions_app.cookies): after that
# the phone joins again as someone new.
RETENTION_PARTICIPANT_DAYS = env_int("RETENTION_PARTICIPANT_DAYS", 30)

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "designer:process_list"
LOGOUT_REDIRECT_URL = "public:index"

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedStaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# --- Security -------------------------------------------------------------------------
# HTTPS is assumed in production (DEBUG off) unless HTTPS=0 says the site runs on plain
# HTTP, for example on a laptop in the town hall's own network.
HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A strict policy: no page has inline script or style, and nothing is loaded from
# elsewhere. 'self' covers the websocket to the same host (CSP level 3); blob: and data:
# are the teller's photo preview and small inline images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Uploads (design files) are small; refuse anything big before it reaches a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
