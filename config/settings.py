"""Inspraak settings.

Everything is read from the environment, with defaults that are safe for production:
``DEBUG`` is off unless asked for, and without ``DEBUG`` a ``SECRET_KEY`` is required.
See the README's "Configuration" section for the full list.
"""

import os
from datetime import timedelta  # accounts: the lockout's cool-off
from pathlib import Path

import dj_database_url
import dj_email_url  # accounts: EMAIL_URL
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.logging import log_format_default, logging_config  # ops: LOGGING

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
# and then daily, waiting while a session is live (``sessions_app.daily``); off when
# another scheduler (cron, a systemd timer) runs it.
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
    "following",  # following a process by e-mail (docs/following.md)
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
                    # A write-ahead log that readers kept from starting afresh grows
                    # (20 MB a second while 5,000 phones upvote); the first write after
                    # the rush starts it again and cuts the file back to 64 MB.
                    "PRAGMA journal_size_limit=67108864;"
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

# --- Accessibility statement (/accessibility/) ------------------------------------------
# The organisation that publishes the statement and its contact for accessibility problems;
# empty, the privacy statement's controller and contact stand in.
ACCESSIBILITY_ORGANISATION = os.environ.get("ACCESSIBILITY_ORGANISATION", "").strip()
ACCESSIBILITY_CONTACT = os.environ.get("ACCESSIBILITY_CONTACT", "").strip()
# An independent audit of this installation (its report's URL and date, YYYY-MM-DD) and
# the status it gave (A to E, digitoegankelijk.nl). Without an audit the status is C.
ACCESSIBILITY_AUDIT_URL = os.environ.get("ACCESSIBILITY_AUDIT_URL", "").strip()
ACCESSIBILITY_AUDIT_DATE = os.environ.get("ACCESSIBILITY_AUDIT_DATE", "").strip()
ACCESSIBILITY_STATUS = os.environ.get("ACCESSIBILITY_STATUS", "B").strip().upper()
if ACCESSIBILITY_STATUS not in {"A", "B", "C", "D", "E"}:
    raise ImproperlyConfigured("ACCESSIBILITY_STATUS is one of A, B, C, D and E.")
# Working days within which a report of an accessibility problem is answered.
ACCESSIBILITY_RESPONSE_DAYS = env_int("ACCESSIBILITY_RESPONSE_DAYS", 5)

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

# --- Staff accounts: throttling, password reset by e-mail, two-factor (issue 17) ------
# docs/accounts.md explains each of these.
INSTALLED_APPS += [
    # django.contrib.admin, with our site (login through ours, two-factor, CSP-safe).
    "sessions_app.admin_site.AdminConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
_after_auth = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
MIDDLEWARE.insert(_after_auth, "django_otp.middleware.OTPMiddleware")
# After the messages middleware: the gate tells why it sent someone to the setup page.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "sessions_app.mfa.MfaGateMiddleware",
)
# Last, as axes asks: it turns a locked-out login into our 429 page.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# The axes backend only refuses locked-out attempts; ModelBackend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout: per user name *and* network, so nobody elsewhere can lock a colleague out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# Attempts while locked out do not push the end further: the time we tell stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "sessions_app.security.AxesHandler"
AXES_LOCKOUT_CALLABLE = "sessions_app.views.accounts.locked_out"
# No IP address is stored: axes keeps a keyed hash of it instead (sessions_app.security).
AXES_CLIENT_IP_CALLABLE = "sessions_app.security.network_pseudonym"
# No log of successful logins; failed attempts are deleted after the cool-off.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "csrfmiddlewaretoken"]
AXES_VERBOSE = False

# E-mail (password reset): EMAIL_URL (smtp://user:pass@host:587/?tls=True), or EMAIL_HOST
# and its companions. Without either, mails are printed to the console with DEBUG, and
# otherwise dropped: a reset link and an address printed to stdout would land in the
# journal, which holds no personal data (``manage.py check --deploy`` warns, W001 of
# sessions_app.checks).
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    _email = dj_email_url.parse(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
    EMAIL_PORT = _email["EMAIL_PORT"] or 25
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or env_int("EMAIL_TIMEOUT", 10)
    if _email["EMAIL_FILE_PATH"]:
        EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not env_bool("EMAIL_USE_SSL", False))
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "inspraak@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A reset link is valid this long (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 2) * 3600
# At most this many reset mails to one address an hour (per server process).
PASSWORD_RESET_PER_HOUR = env_int("PASSWORD_RESET_PER_HOUR", 3)

# Two-factor (TOTP apps, backup codes). Required for organisers (superusers, holders of
# sessions_app.organise) and admin users before /manage/ and the admin, when set.
MFA_REQUIRED_FOR_ORGANISERS = env_bool("MFA_REQUIRED_FOR_ORGANISERS", False)
# A login through single sign-on (session "mfa_via" = "oidc") counts as two-factor: the
# identity provider is trusted to ask for its own second factor.
OIDC_SATISFIES_MFA = env_bool("OIDC_SATISFIES_MFA", True)
OTP_TOTP_ISSUER = os.environ.get("MFA_ISSUER", "Inspraak")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# The Django admin's path (accounts, organiser permission, process roles).
ADMIN_PATH = os.environ.get("ADMIN_PATH", "admin/").strip("/") + "/"

# --- Single sign-on by OpenID Connect, when OIDC_* is set (issue 17) ------------------
# sessions_app/oidc.py and docs/sso.md. On when the client's id and secret are set and the
# provider is known: by its discovery URL (its issuer, or the issuer's
# /.well-known/openid-configuration), or by its endpoints, which override discovered ones.
# Logs in the one existing, active account with the provider's verified e-mail address;
# never creates an account or changes a role.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "").strip()
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "").strip()
OIDC_OP_DISCOVERY_URL = os.environ.get("OIDC_OP_DISCOVERY_URL", "").strip()
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "").strip()
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "").strip()
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "").strip()
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "").strip()
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "").strip()
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "").strip() or "RS256"
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "").strip() or "openid email"
# The name on the login page's button: "Log in with <OIDC_LABEL>".
OIDC_LABEL = os.environ.get("OIDC_LABEL", "").strip() or _("single sign-on")
# Off only for a provider that never sends the email_verified claim (an explicit false
# is refused all the same).
OIDC_REQUIRE_EMAIL_VERIFIED = env_bool("OIDC_REQUIRE_EMAIL_VERIFIED", True)
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_TOKEN_USE_BASIC_AUTH = env_bool("OIDC_TOKEN_USE_BASIC_AUTH", False)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
OIDC_CREATE_USER = False
OIDC_ENABLED = bool(
    OIDC_RP_CLIENT_ID
    and OIDC_RP_CLIENT_SECRET
    and (
        OIDC_OP_DISCOVERY_URL
        or (OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT and OIDC_OP_USER_ENDPOINT)
    )
)
_OIDC_GIVEN = [
    name
    for name in (
        "OIDC_RP_CLIENT_ID",
        "OIDC_RP_CLIENT_SECRET",
        "OIDC_OP_DISCOVERY_URL",
        "OIDC_OP_ISSUER",
        "OIDC_OP_AUTHORIZATION_ENDPOINT",
        "OIDC_OP_TOKEN_ENDPOINT",
        "OIDC_OP_USER_ENDPOINT",
        "OIDC_OP_JWKS_ENDPOINT",
    )
    if globals()[name]
]
if _OIDC_GIVEN and not OIDC_ENABLED:
    # Half a configuration is a mistake, never a silent "off": name what is missing.
    _missing = [n for n in ("OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET") if not globals()[n]]
    if not OIDC_OP_DISCOVERY_URL:
        _endpoints = [
            n
            for n in (
                "OIDC_OP_AUTHORIZATION_ENDPOINT",
                "OIDC_OP_TOKEN_ENDPOINT",
                "OIDC_OP_USER_ENDPOINT",
            )
            if not globals()[n]
        ]
        if _endpoints:
            _missing.append(f"OIDC_OP_DISCOVERY_URL (or {', '.join(_endpoints)})")
    raise ImproperlyConfigured(
        f"Single sign-on is set up only in part ({', '.join(_OIDC_GIVEN)}); missing: "
        f"{', '.join(_missing)}. It needs OIDC_RP_CLIENT_ID, OIDC_RP_CLIENT_SECRET and "
        "either OIDC_OP_DISCOVERY_URL or the three OIDC_OP_*_ENDPOINT variables "
        "(see docs/sso.md)."
    )
if (
    OIDC_ENABLED
    and not OIDC_OP_DISCOVERY_URL
    and OIDC_RP_SIGN_ALGO.startswith(("RS", "ES"))
    and not OIDC_OP_JWKS_ENDPOINT
):
    raise ImproperlyConfigured(
        f"OIDC_RP_SIGN_ALGO={OIDC_RP_SIGN_ALGO} needs OIDC_OP_JWKS_ENDPOINT."
    )
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "sessions_app.oidc.OIDCBackend"]
# The login page's "Log in with …" (oidc_enabled, oidc_label).
TEMPLATES[0]["OPTIONS"]["context_processors"].append("sessions_app.oidc.context")

# --- Operations: health, structured logs, background jobs, backups (issue 17) ---------
# docs/operations.md explains each of these.
# /healthz and /readyz are answered first (config.health), before the host check and the
# HTTPS redirect, so a probe on the server's own port works; then every request gets an
# id and one access line without personal data (config.logging).
MIDDLEWARE = ["config.health.ProbeMiddleware", "config.logging.RequestLogMiddleware", *MIDDLEWARE]
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Log lines as JSON (for journald and log collectors) or text (for a developer's console).
LOG_FORMAT = log_format_default(DEBUG)
# Background processes (print runs, exports, scans, the daily purge) running at once on
# this machine, across all server processes; more wait in a queue (~225 MB per print run).
BACKGROUND_PROCESSES = max(1, env_int("BACKGROUND_PROCESSES", 2))
# `manage.py backup DIR` removes its own backups in DIR older than this many days: backups
# hold texts that may since have been erased (docs/operations.md, "Backups and erasure").
BACKUP_KEEP_DAYS = env_int("BACKUP_KEEP_DAYS", 30)

# Minutes after "End session" during which the facilitator may reopen it (a slip of the
# hand on the evening itself); later, reopening is refused (`reopen_expired`).
SESSION_REOPEN_MINUTES = max(0, env_int("SESSION_REOPEN_MINUTES", 30))

# --- Following a process by e-mail (docs/following.md) ----------------------------------
# Off: no form, and the follow, confirm and unsubscribe pages are not found. Also off
# (whatever this says) while mails would only be printed on the console outside DEBUG.
FOLLOW_BY_EMAIL = env_bool("FOLLOW_BY_EMAIL", True)
# An address asked for and not confirmed is deleted after this many hours.
FOLLOW_CONFIRM_HOURS = max(1, env_int("FOLLOW_CONFIRM_HOURS", 48))
# At most this many unconfirmed addresses per process; more requests are refused.
FOLLOW_PENDING_MAX = max(1, env_int("FOLLOW_PENDING_MAX", 200))
# Sending (manage.py send_notifications, in the background): messages per SMTP connection,
# messages per minute, messages per run (then the job queues itself again), and seconds
# news waits so that what happens together goes out in one message.
MAIL_BATCH = max(1, env_int("MAIL_BATCH", 50))
MAIL_RATE = max(1, env_int("MAIL_RATE", 60))
MAIL_PER_RUN = max(1, env_int("MAIL_PER_RUN", 500))
MAIL_NEWS_DELAY = max(0, env_int("MAIL_NEWS_DELAY", 300))

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

# ops (issue 17): JSON or text lines with the request's or job's id (config.logging).
LOGGING = logging_config(fmt=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO").upper())
