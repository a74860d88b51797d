"""Settings for ipplan, read from the environment.

Every setting that differs between machines comes from an environment variable (see README,
"Configuration"). When a variable is unset the embedded defaults apply: SQLite in ``var/``, a
file-system Celery broker in ``var/``, local-memory cache and e-mails written as files to
``var/mail/``. Nothing here needs a network service to start.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("IPPLAN_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _secret_key() -> str:
    """The configured key, or one generated once and kept in the data directory.

    Keeping it in ``var/`` lets the one-command start work without configuration while never
    shipping a fixed key; production sets DJANGO_SECRET_KEY.
    """
    configured = env.str("DJANGO_SECRET_KEY", default="")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "ipplan.apps.IpplanAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "ipplan",
    "departments",
    "tasks",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # logs refusals, exports, downloads and admin changes with the user and address (ipplan.security)
    "ipplan.security.middleware.SecurityAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Must stay last: it turns lockouts raised by the authentication backend into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ipplan.urls"
WSGI_APPLICATION = "ipplan.wsgi.application"

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
                "ipplan.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'ipplan.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a
    # transaction starts, so two writers queue instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ipplan"}}

# --- users and security ---------------------------------------------------------------------
AUTH_USER_MODEL = "departments.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lock a username from one address after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env.int("IPPLAN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("IPPLAN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("IPPLAN_PROXY_COUNT", default=0)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health check is polled over plain HTTP by the container runtime.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy: everything from our own origin, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # ECharts positions its tooltips with style attributes; attributes cannot run script.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
# Production images run collectstatic with IPPLAN_STATIC_MANIFEST=1 and serve hashed, compressed
# files; without it (the embedded start, the tests) whitenoise serves straight from the finders.
STATIC_MANIFEST = env.bool("IPPLAN_STATIC_MANIFEST", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024

# --- e-mail ---------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="ipplan <ipplan@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
IPPLAN_BASE_URL = env.str("IPPLAN_BASE_URL", default="http://127.0.0.1:8000")

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "data_folder_processed": str(_broker_dir / "processed"),
        "store_processed": False,
        # broadcast (pidbox) files; kombu's default is ./control in the working directory
        "control_folder": str(_broker_dir / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ALWAYS_EAGER = env.bool("IPPLAN_CELERY_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# Every beat entry lives here. Beat only ticks: what is due is computed from the data by the job.
IPPLAN_TICK_SECONDS = env.float("IPPLAN_TICK_SECONDS", default=600.0)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "ipplan.jobs.heartbeat",
        "schedule": IPPLAN_TICK_SECONDS,
    },
    "daily-maintenance": {
        "task": "ipplan.jobs.heartbeat",
        "schedule": crontab(hour=3, minute=17),
        "kwargs": {"name": "daily"},
    },
    # Computes from the data which reminders and digests are due now and creates them once.
    "reminders": {
        "task": "tasks.jobs.reminders_tick",
        "schedule": IPPLAN_TICK_SECONDS,
    },
    # Sends pending notifications and re-queues ones left pending or stuck in "sending".
    "deliver-notifications": {
        "task": "tasks.jobs.notifications_deliver",
        "schedule": env.float("IPPLAN_DELIVERY_TICK_SECONDS", default=60.0),
    },
    # Sends pending webhook deliveries whose time has come and re-queues ones stuck in "sending".
    "deliver-webhooks": {
        "task": "webhooks.jobs.webhooks_deliver",
        "schedule": env.float("IPPLAN_WEBHOOK_TICK_SECONDS", default=30.0),
    },
    # Once a day: finished webhook events past IPPLAN_WEBHOOK_KEEP_DAYS leave the outbox.
    "prune-webhook-events": {"task": "webhooks.jobs.webhooks_prune", "schedule": 24 * 3600.0},
}

# --- reminders (defaults for plans without their own ReminderPolicy; 0 turns a rule off) ----
IPPLAN_REMINDER_DAYS_BEFORE = env.str("IPPLAN_REMINDER_DAYS_BEFORE", default="7,3,1")
IPPLAN_REMINDER_ON_DAY = env.bool("IPPLAN_REMINDER_ON_DAY", default=True)
IPPLAN_REMINDER_REPEAT_EVERY_DAYS = env.int("IPPLAN_REMINDER_REPEAT_EVERY_DAYS", default=3)
IPPLAN_REMINDER_ESCALATE_HEAD_AFTER = env.int("IPPLAN_REMINDER_ESCALATE_HEAD_AFTER", default=7)
IPPLAN_REMINDER_ESCALATE_BUREAU_AFTER = env.int("IPPLAN_REMINDER_ESCALATE_BUREAU_AFTER", default=14)
# Digests go out at the first tick after this local hour: the bureau's weekly one on the first
# working day of the week, the department users' daily one (for those who chose it) each working day.
IPPLAN_REMINDER_DIGEST_HOUR = env.int("IPPLAN_REMINDER_DIGEST_HOUR", default=9)
# Delivery: attempts before a notification is marked failed; backoff base in seconds (doubles
# each attempt); how long a claimed row may stay "sending" before the sweeper re-queues it.
IPPLAN_REMINDER_MAX_ATTEMPTS = env.int("IPPLAN_REMINDER_MAX_ATTEMPTS", default=6)
IPPLAN_REMINDER_BACKOFF_SECONDS = env.int("IPPLAN_REMINDER_BACKOFF_SECONDS", default=60)
IPPLAN_REMINDER_SENDING_LEASE_SECONDS = env.int("IPPLAN_REMINDER_SENDING_LEASE_SECONDS", default=300)

# --- outbound webhooks ------------------------------------------------------------------------
# Attempts per delivery before it is marked failed; backoff base in seconds (doubles each
# attempt, capped at a day); failed attempts in a row after which a subscription is turned off;
# the HTTP timeout; how long a claimed delivery may stay "sending" before the sweeper re-queues it
# (keep it well above the timeout).
IPPLAN_WEBHOOK_MAX_ATTEMPTS = env.int("IPPLAN_WEBHOOK_MAX_ATTEMPTS", default=8)
IPPLAN_WEBHOOK_BACKOFF_SECONDS = env.float("IPPLAN_WEBHOOK_BACKOFF_SECONDS", default=30.0)
IPPLAN_WEBHOOK_DISABLE_AFTER = env.int("IPPLAN_WEBHOOK_DISABLE_AFTER", default=10)
IPPLAN_WEBHOOK_TIMEOUT_SECONDS = env.float("IPPLAN_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
IPPLAN_WEBHOOK_SENDING_LEASE_SECONDS = env.int("IPPLAN_WEBHOOK_SENDING_LEASE_SECONDS", default=120)
# Hours after a secret rotation during which requests are signed with the old secret as well.
IPPLAN_WEBHOOK_ROTATION_HOURS = env.int("IPPLAN_WEBHOOK_ROTATION_HOURS", default=24)
# Days a finished event and its delivery log are kept (0: for ever).
IPPLAN_WEBHOOK_KEEP_DAYS = env.int("IPPLAN_WEBHOOK_KEEP_DAYS", default=90)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # first, so that a request without credentials answers 401 with WWW-Authenticate
        "ipplan.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "ipplan.api.permissions.AnonymousThrottled",
        "rest_framework.permissions.IsAuthenticated",
        "ipplan.api.permissions.TokenAllowsMethod",
    ],
    "DEFAULT_PAGINATION_CLASS": "ipplan.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["ipplan.api.filters.FilterBackend"],
    # JSON bodies only, except where files are uploaded (reports, imports declare their parsers)
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "ipplan.api.throttling.ClientRateThrottle",
        "ipplan.api.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "client": env.str("IPPLAN_API_RATE", default="1200/min"),
        "anonymous": env.str("IPPLAN_API_ANON_RATE", default="60/min"),
    },
    # ipplan.api.errors.exception_handler, after noting refusals for the security audit log
    "EXCEPTION_HANDLER": "ipplan.security.api.exception_handler",
    # trusted proxies in front: only then is the client address read from X-Forwarded-For
    # (otherwise a caller could choose its own address for throttling and token allow-lists)
    "NUM_PROXIES": AXES_IPWARE_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "ipplan.api.schema.AutoSchema",
    # JSON only: people read the API in Swagger UI / Redoc (/api/docs/), whose pages fit our CSP
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "ipplan.api.negotiation.JSONFallbackNegotiation",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNICODE_JSON": True,
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}

from ipplan.api.problem_schema import PROBLEM_SCHEMA  # noqa: E402

SPECTACULAR_SETTINGS = {
    "TITLE": "ipplan API",
    "DESCRIPTION": (
        "知识产权工作方案督办平台的 REST API(v1)。认证:浏览器会话(写操作需 CSRF)或 API 令牌 "
        "`Authorization: Bearer ipp_…`。错误统一为 RFC 9457 problem details。修改须带 If-Match。"
        "同步:对列表传 `cursor=`(空值开始),按 (updated_at, id) 遍历,再读取 /api/v1/deleted/。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "APPEND_COMPONENTS": {"schemas": {"Problem": PROBLEM_SCHEMA}},
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks.choices.TaskStatus",
        "PlanStatusEnum": "tasks.choices.PlanStatus",
        "EventKindEnum": "webhooks.events.EventKind",
        "SubscribableEventKindEnum": "webhooks.events.SUBSCRIBABLE_KINDS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ipplan.api.schema.forbid_nul_characters",
    ],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

# --- audit trail ----------------------------------------------------------------------------
# Services pass the actor explicitly (instance._history_user); the request middleware is not used.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("IPPLAN_LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- security audit log (ipplan.security) ---------------------------------------------------
# Key of the HMAC chain; empty: derived from SECRET_KEY (set it apart so that rotating
# SECRET_KEY does not orphan the chain). Algorithm: hmac-sm3 or hmac-sha256; empty: SM3 where
# OpenSSL offers it. Records older than IPPLAN_AUDIT_KEEP_DAYS (at least 180) may be pruned.
IPPLAN_AUDIT_HMAC_KEY = env.str("IPPLAN_AUDIT_HMAC_KEY", default="")
IPPLAN_AUDIT_HMAC_ALGORITHM = env.str("IPPLAN_AUDIT_HMAC_ALGORITHM", default="")
IPPLAN_AUDIT_KEEP_DAYS = env.int("IPPLAN_AUDIT_KEEP_DAYS", default=180)

ADMIN_SITE_HEADER = _("ipplan 知识产权工作方案督办平台")
