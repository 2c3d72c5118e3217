"""GWE settings: one module, driven by the environment (see docs/configuration.md)."""

import os
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from gwe.env import (
    env_bool,
    env_int,
    env_json_object,
    env_list,
    env_networks,
    env_origins,
    env_str,
    load_env_file,
    mailer,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# A checkout's own settings file, under the environment's values: `make run` writes .env
# there (GWE_DEBUG=1 and a secret of its own) so that manage.py finds the same settings.
# Production sets its variables itself (or names a file here); GWE_ENV_FILE= reads none.
_env_file = env_str("GWE_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file:
    load_env_file(Path(_env_file), required="GWE_ENV_FILE" in os.environ)

DEBUG = env_bool("GWE_DEBUG", False)

SECRET_KEY = env_str("GWE_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "GWE_SECRET_KEY is required when GWE_DEBUG is off "
            "(or set GWE_DEBUG=1 for a development server)."
        )
    SECRET_KEY = "gwe-development-only-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("GWE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")

# The sites that may embed the tracker. In development an empty list admits any
# origin, so a first embed works without configuration; in production it is exact.
GWE_ALLOWED_ORIGINS = env_origins("GWE_ALLOWED_ORIGINS")
if not GWE_ALLOWED_ORIGINS and DEBUG:
    GWE_ALLOWED_ORIGINS = ["*"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "gwe",
    "invitations",
    "notifications",
    "media_adapters",
    "media_adapters.gwe_chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

# Scripts run only from GWE's own files, and the inline ones GWE's pages carry with the
# request's nonce: a script that found its way into a page (a visitor's text, a template's
# HTML) does not run, in the admin, the console or a page the tracker frames.
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https:"],
    "connect-src": [CSP.SELF, "ws:", "wss:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
}

ROOT_URLCONF = "gwe.urls"
ASGI_APPLICATION = "gwe.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("GWE_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
GWE_DB_POOL_SIZE = env_int("GWE_DB_POOL_SIZE", 10, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and GWE_DB_POOL_SIZE:
    # Under ASGI each request runs in a thread of its own, so persistent connections are
    # not reused; a pool is what saves a connection set-up per request.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 1, "max_size": GWE_DB_POOL_SIZE}}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the tracker write while the admin reads; the busy timeout rides out
    # short write bursts instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
# No CHANNEL_LAYERS: no consumer is addressed through a channel layer; the bus is GWE's own
# client of Redis pub/sub (notifications/bus.py; docs/notifications.md says why).

# Django's users, with wrong passwords throttled (gwe/authentication.py).
AUTHENTICATION_BACKENDS = ["gwe.authentication.ThrottledModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The admin and the console speak English; a visitor's pages speak the visit's language
# when GWE has it (gwe/languages.py): these, with their catalogs in locale/.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The site's time zone: reports count days in it, the admin shows times in it.
TIME_ZONE = env_str("GWE_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"GWE_TIME_ZONE={TIME_ZONE!r} is not a time zone (e.g. Europe/Paris)"
    ) from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "servestatic.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Static files are served by the app itself (ServeStatic, async: no thread hop per request).
SERVESTATIC_USE_FINDERS = DEBUG
SERVESTATIC_AUTOREFRESH = DEBUG

# Security. GWE_SECURE says GWE is reached over HTTPS (directly or through a
# TLS-terminating proxy that sets X-Forwarded-Proto); it is the production default.
GWE_SECURE = env_bool("GWE_SECURE", not DEBUG)
if GWE_SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("GWE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GWE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("GWE_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]
    SILENCED_SYSTEM_CHECKS += [] if SECURE_HSTS_PRELOAD else ["security.W021"]
CSRF_TRUSTED_ORIGINS = env_origins("GWE_CSRF_TRUSTED_ORIGINS")

# CORS for the resources pages load (the tracker endpoint answers CORS itself).
CORS_URLS_REGEX = r"^/server/resources/"
CORS_ALLOW_ALL_ORIGINS = GWE_ALLOWED_ORIGINS == ["*"]
CORS_ALLOWED_ORIGINS = [o for o in GWE_ALLOWED_ORIGINS if o != "*"]
CORS_ALLOW_CREDENTIALS = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gwe.authentication.RememberingBasicAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: what systems calling the API send (and the schema says).
    "DEFAULT_PARSER_CLASSES": ["gwe.json_input.CheckedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "gwe.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GWE API",
    "DESCRIPTION": "Web engagement: visitor history, notifications and engagement gateway.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TAGS": [
        {"name": "history", "description": "What visitors did: visits, pages and events."},
        {
            "name": "notifications",
            "description": "Push messages to a visit's live pages, and follow their delivery.",
        },
        {
            "name": "engagement",
            "description": "Offer an invitation to a visit or withdraw it (external "
            "strategies), and the steps the invitation's page reports.",
        },
        {"name": "reports", "description": "How invitations fared."},
        {
            "name": "privacy",
            "description": "Everything held about a visitor, exported or erased (SPEC §9).",
        },
        {
            "name": "pacing",
            "description": "How many invitations each channel may have out, and whether to "
            "let a visitor-initiated engagement through (SPEC §8).",
        },
        {
            "name": "tracker",
            "description": "The tracker's HTTP endpoint, for pages that cannot open a "
            "WebSocket (docs/tracker-protocol.md).",
        },
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The endpoints that are not DRF views: the ASGI consumers, the invitation steps.
        "gwe.schema.add_non_drf_operations",
    ],
}

# Tracking.
# Visits (with their pages, events, decisions, invitations, notifications, chats and
# messages left) older than this are purged by the sweep and `manage.py gwe_purge`; 0 keeps
# everything (SPEC §9).
GWE_RETENTION_DAYS = env_int("GWE_RETENTION_DAYS", 90)
GWE_VISIT_TIMEOUT_SECONDS = env_int("GWE_VISIT_TIMEOUT_SECONDS", 30 * 60, minimum=1)
# A page whose live channel (socket, poll) closed is still there for this long (a reconnect,
# the next page loading); past it the page is gone, and a visit with no page is off the site.
GWE_PRESENCE_GRACE_SECONDS = env_int("GWE_PRESENCE_GRACE_SECONDS", 30, minimum=3)
# A chat whose visitor has been off the site this long ends (media_adapters/gwe_chat).
GWE_CHAT_ABANDONED_SECONDS = env_int("GWE_CHAT_ABANDONED_SECONDS", 120, minimum=5)
# The channel (a media adapter alias) of the chats visitors ask for (`_gt.push(['chat'])`).
GWE_VISITOR_CHAT_CHANNEL = env_str("GWE_VISITOR_CHAT_CHANNEL", "gwe-chat")
# How often the agent's console's list of visitors on the site is looked at again (sent only
# when it changed).
GWE_VISITORS_REFRESH_SECONDS = env_int("GWE_VISITORS_REFRESH_SECONDS", 1, minimum=1)
# Messages visitors leave when nobody can answer are also emailed here (comma-separated
# addresses; empty: they are only listed in the console and the admin).
GWE_MESSAGES_EMAIL_TO = env_list("GWE_MESSAGES_EMAIL_TO")
MAILERS = {
    "default": mailer(
        env_str("GWE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        host=env_str("GWE_EMAIL_HOST", "localhost"),
        port=env_int("GWE_EMAIL_PORT", 25, minimum=1),
        username=env_str("GWE_EMAIL_USER"),
        password=env_str("GWE_EMAIL_PASSWORD"),
        use_tls=env_bool("GWE_EMAIL_TLS"),
        file_path=env_str("GWE_EMAIL_FILE_PATH"),  # the file backend's folder
    )
}
DEFAULT_FROM_EMAIL = env_str("GWE_EMAIL_FROM", "gwe@localhost")
# How long a page's (or a chat's) long poll waits before answering with nothing, when it has
# no WebSocket: under the idle timeout of the proxies and load balancers in front of GWE.
GWE_LONG_POLL_SECONDS = env_int("GWE_LONG_POLL_SECONDS", 25, minimum=1)
# The most writes (tracker messages, notifies) one transaction carries (gwe/commits.py).
GWE_GROUP_COMMIT_MAX = env_int("GWE_GROUP_COMMIT_MAX", 200, minimum=1)
# How many visits each process keeps what the rules ask of in memory (invitations/memory.py).
# PostgreSQL partitions the events table by week: how many weeks after this one are ready.
GWE_EVENT_PARTITIONS_AHEAD = env_int("GWE_EVENT_PARTITIONS_AHEAD", 4, minimum=1)
GWE_RULE_MEMORY_VISITS = env_int("GWE_RULE_MEMORY_VISITS", 20_000, minimum=1)
GWE_TRACKER_MAX_BYTES = env_int("GWE_TRACKER_MAX_BYTES", 16 * 1024, minimum=1024)
# What one client may ask of the public endpoints (gwe/limits.py; 0: no limit), and how
# often a password may be wrong. A client is the peer address, or the first untrusted
# address of X-Forwarded-For when the peer is one of GWE_TRUSTED_PROXIES (addresses or
# networks, e.g. 10.0.0.0/8,127.0.0.1: the load balancers in front of GWE).
GWE_TRUSTED_PROXIES = env_networks("GWE_TRUSTED_PROXIES")
GWE_LIMIT_VISITS_PER_MINUTE = env_int("GWE_LIMIT_VISITS_PER_MINUTE", 120)
GWE_LIMIT_MESSAGES_PER_SECOND = env_int("GWE_LIMIT_MESSAGES_PER_SECOND", 50)
GWE_LIMIT_HTTP_PER_SECOND = env_int("GWE_LIMIT_HTTP_PER_SECOND", 20)
GWE_LOGIN_FAILURES = env_int("GWE_LOGIN_FAILURES", 5)
GWE_LOGIN_LOCKOUT_SECONDS = env_int("GWE_LOGIN_LOCKOUT_SECONDS", 300, minimum=1)
GWE_NOTIFY_MAX_BYTES = env_int("GWE_NOTIFY_MAX_BYTES", 64 * 1024, minimum=1024)
GWE_NOTIFY_MAX_MESSAGES = 100
# How long a notification waits for a page that is offline, unless the message says (ttl).
GWE_NOTIFY_TTL_SECONDS = env_int("GWE_NOTIFY_TTL_SECONDS", 300, minimum=1)
GWE_NOTIFY_SWEEP_SECONDS = 60
# What every serving process does now and then (notifications/sweeps.py): a function, every
# so many seconds. The management commands do the same from cron.
GWE_SWEEPS = {
    # PostgreSQL: the weeks of the events table, made ready ahead (gwe/partitions.py).
    "gwe.partitions.events_partitions_ensure": 3600,
    "notifications.services.notifications_expire": GWE_NOTIFY_SWEEP_SECONDS,
    "notifications.services.notify_requests_forget": 3600,
    "invitations.services.invitations_expire": GWE_NOTIFY_SWEEP_SECONDS,
    "gwe.services.visits_close_expired": 60,
    # Visits older than GWE_RETENTION_DAYS, with all that hangs on them (gwe/privacy.py).
    "gwe.privacy.visits_purge": 3600,
    # Each process tells the database which pages it holds live channels to; pages not seen
    # within the grace period are gone.
    "notifications.presence.presence_heartbeat": max(1, GWE_PRESENCE_GRACE_SECONDS // 3),
    "notifications.presence.pages_close_gone": max(1, GWE_PRESENCE_GRACE_SECONDS // 3),
    "media_adapters.gwe_chat.adapter.chats_watch_visitors": min(5, GWE_PRESENCE_GRACE_SECONDS),
    # Chats left waiting are passed on to another agent (media_adapters/gwe_chat).
    "media_adapters.gwe_chat.adapter.unanswered_chats_pass_on": 10,
    # Each paced channel's figures once a minute, for the admin's last hour (invitations).
    "invitations.pacing_state.pacing_sampled": 60,
}
# Media adapters by alias (docs/adapters.md): {"alias": {"BACKEND": path, "OPTIONS": {...}}}.
# The built-in chat always; GMS when GMS_BASE_URL is set; more (or other) entries from the
# GWE_MEDIA_ADAPTERS variable, a JSON object merged over these.
GMS_BASE_URL = env_str("GMS_BASE_URL")
GWE_MEDIA_ADAPTERS: dict = {
    "gwe-chat": {"BACKEND": "media_adapters.gwe_chat.GweChatAdapter", "OPTIONS": {}},
    **(
        {
            "gms": {
                "BACKEND": "media_adapters.gms.GmsAdapter",
                "OPTIONS": {"base_url": GMS_BASE_URL, "gms_user": env_str("GMS_USER")},
            }
        }
        if GMS_BASE_URL
        else {}
    ),
    **env_json_object("GWE_MEDIA_ADAPTERS"),
}
# Signs the engagement webhook's POSTs (X-GWE-Signature: sha256=HMAC(secret, body)).
GWE_WEBHOOK_SECRET = env_str("GWE_WEBHOOK_SECRET", SECRET_KEY)
# How long GWE waits for the engagement webhook's answer, per attempt (3 attempts).
GWE_WEBHOOK_TIMEOUT_SECONDS = env_int("GWE_WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)

# What `manage.py gwe_serve` holds every connection to (gwe/serving): a request's line and
# headers arrive within this many seconds of the connection opening (or of the request's first
# byte, on a kept-alive connection), and a WebSocket message is at most this large (close 1009).
GWE_HEADER_TIMEOUT_SECONDS = env_int("GWE_HEADER_TIMEOUT_SECONDS", 20, minimum=1)
GWE_WEBSOCKET_MAX_BYTES = env_int("GWE_WEBSOCKET_MAX_BYTES", 1024 * 1024, minimum=64 * 1024)

# How often a full garbage collection may look at long-lived objects (gwe/collector.py);
# 0 leaves CPython's collector as it is.
GWE_GC_FULL_SECONDS = env_int("GWE_GC_FULL_SECONDS", 600, minimum=0)
# A no-op HTTP and WebSocket endpoint, the baseline the benchmarks compare against.
GWE_BENCHMARK_ENDPOINTS = env_bool("GWE_BENCHMARK_ENDPOINTS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("GWE_LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
