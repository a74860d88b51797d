"""Settings for ipplan, read from the environment.

Every setting that differs between machines comes from an environment variable (see README,
"Configuration"). When a variable is unset the embedded defaults apply: SQLite in ``var/``, a
file-system Celery broker in ``var/``, local-memory cache and e-mails written as files to
``var/mail/``. Nothing here needs a network service to start.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ipplan",
    "departments",
    "tasks",
    "webhooks",
]

MIDDLEWARE = [
    # outermost: an expected refusal (403/404/409/412) logs one line, not a traceback
    "ipplan.refusals.RefusalLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that reads the body (CsrfViewMiddleware parses forms): 413 past the limit.
    "ipplan.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on every answer to a signed-in user.
    "ipplan.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute timeouts, ended sessions; then the forced password change and 2FA set-up.
    "departments.sessions.SessionPolicyMiddleware",
    "departments.sessions.AccountGateMiddleware",
    # logs refusals, exports, downloads and admin changes with the user and address (ipplan.security)
    "ipplan.security.middleware.SecurityAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Must stay last: it turns lockouts raised by the authentication backend into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
    # PostgreSQL's JIT compiles the dashboard's grouped counts for about 1.5 s to save
    # milliseconds (EXPLAIN ANALYZE at province scale, benchmarks/README.md): off for this
    # workload of short queries. A server-side cursor (``iterator()``: the ledger, the sweep) is
    # read to its end, so it is planned for every row, not the first 10 % (the ledger: 9-14 s ->
    # 7-8 s). Unless the database URL sets its own ``options``, or the connection goes through
    # PgBouncer, which refuses startup options: there, set them on the role or database
    # (ALTER ROLE … SET jit = off; README "Read replica and PgBouncer").
    if not env.bool("DATABASE_PGBOUNCER", default=False):
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "options", "-c jit=off -c cursor_tuple_fraction=1"
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ipplan"}}
# The dashboard's figures may be this many seconds old at most (dropped at once on every write that
# changes them, tasks/figures_cache.py); 0 turns the cache off.
IPPLAN_FIGURES_CACHE_SECONDS = env.int("IPPLAN_FIGURES_CACHE_SECONDS", default=120)

# --- users and security ---------------------------------------------------------------------
AUTH_USER_MODEL = "departments.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
IPPLAN_PASSWORD_MIN_LENGTH = env.int("IPPLAN_PASSWORD_MIN_LENGTH", default=10)
# Of upper case, lower case, digits and symbols, how many a password must use.
IPPLAN_PASSWORD_MIN_CLASSES = env.int("IPPLAN_PASSWORD_MIN_CLASSES", default=3)
# How many of a user's last passwords may not be chosen again (0: no history check).
IPPLAN_PASSWORD_HISTORY = env.int("IPPLAN_PASSWORD_HISTORY", default=5)
# Days after which a password must be changed before anything else (0: never).
IPPLAN_PASSWORD_MAX_AGE_DAYS = env.int("IPPLAN_PASSWORD_MAX_AGE_DAYS", default=90)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": IPPLAN_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "departments.passwords.CharacterClassValidator",
        "OPTIONS": {"min_classes": IPPLAN_PASSWORD_MIN_CLASSES},
    },
    {"NAME": "departments.passwords.UsernameNotContainedValidator"},
    {"NAME": "departments.passwords.PasswordHistoryValidator"},
]
# Password hashing: "pbkdf2_sha256" (Django's default) or "sm3" (PBKDF2-HMAC-SM3, 商用密码). The
# others stay listed, so existing hashes verify and are rewritten with the selected one at sign-in.
IPPLAN_PASSWORD_HASHER = env.str("IPPLAN_PASSWORD_HASHER", default="pbkdf2_sha256")
# PBKDF2-HMAC-SM3 rounds (0: as many as Django's PBKDF2-SHA256, 1,000,000).
IPPLAN_PASSWORD_SM3_ITERATIONS = env.int("IPPLAN_PASSWORD_SM3_ITERATIONS", default=0)
_HASHERS = {
    "sm3": "ipplan.hashers.PBKDF2SM3PasswordHasher",
    "pbkdf2_sha256": "django.contrib.auth.hashers.PBKDF2PasswordHasher",
}
if IPPLAN_PASSWORD_HASHER not in _HASHERS:
    raise environ.ImproperlyConfigured(f"IPPLAN_PASSWORD_HASHER must be one of {', '.join(sorted(_HASHERS))}")
PASSWORD_HASHERS = [
    _HASHERS[IPPLAN_PASSWORD_HASHER],
    *(path for name, path in _HASHERS.items() if name != IPPLAN_PASSWORD_HASHER),
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

# Two-factor sign-in (TOTP, recovery codes): required for these roles, optional for the others.
# The local demo (DJANGO_DEBUG, bin/serve) lets its demo accounts in without an authenticator app.
IPPLAN_2FA_REQUIRED_ROLES = env.list(
    "IPPLAN_2FA_REQUIRED_ROLES", default=[] if DEBUG else ["admin", "bureau", "security_admin", "audit_admin"]
)
OTP_TOTP_ISSUER = env.str("IPPLAN_2FA_ISSUER", default="ipplan")
# How many recovery codes a user gets at enrolment (each works once).
IPPLAN_2FA_RECOVERY_CODES = 10

# Sessions, enforced server-side (ipplan/sessions.py): minutes without a request after which a
# session ends, hours after which it ends anyway, sessions one account may hold at once (a new
# sign-in ends the oldest ones; 0: no limit).
IPPLAN_SESSION_IDLE_MINUTES = env.int("IPPLAN_SESSION_IDLE_MINUTES", default=30)
IPPLAN_SESSION_MAX_HOURS = env.int("IPPLAN_SESSION_MAX_HOURS", default=12)
IPPLAN_MAX_SESSIONS_PER_USER = env.int("IPPLAN_MAX_SESSIONS_PER_USER", default=1)


def _field_keys() -> tuple[str, str]:
    """The field-encryption key ring and blind-index key: configured, or made once in ``var/``.

    As with the secret key, the embedded start works without configuration and never ships a
    fixed key; production sets IPPLAN_FIELD_KEYS and IPPLAN_FIELD_INDEX_KEY (and keeps them).
    """
    keys = env.str("IPPLAN_FIELD_KEYS", default="")
    index_key = env.str("IPPLAN_FIELD_INDEX_KEY", default="")
    if keys and index_key:
        return keys, index_key
    key_file = DATA_DIR / "field_keys"
    if not key_file.exists():
        import base64
        import os

        # Written aside and linked into place: two processes starting at once keep one key ring.
        draft = DATA_DIR / f"field_keys.{os.getpid()}"
        draft.write_text(
            f"k1:{base64.b64encode(secrets.token_bytes(16)).decode()}\n"
            f"{base64.b64encode(secrets.token_bytes(32)).decode()}\n",
            encoding="utf-8",
        )
        draft.chmod(0o600)
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    stored_keys, stored_index = key_file.read_text(encoding="utf-8").split()
    return keys or stored_keys, index_key or stored_index


IPPLAN_FIELD_KEYS, IPPLAN_FIELD_INDEX_KEY = _field_keys()

# Lock a username from one address after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env.int("IPPLAN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("IPPLAN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("IPPLAN_PROXY_COUNT", default=0)

# Password-reset mails per address and per account in an hour (departments.accounts.password_reset); every
# request gets the same answer, only the mails are capped. 0: no reset mails at all.
IPPLAN_PASSWORD_RESET_PER_HOUR = env.int("IPPLAN_PASSWORD_RESET_PER_HOUR", default=5)

SESSION_COOKIE_HTTPONLY = True
# The store forgets a session at the absolute limit too (two weeks, Django's default, without one).
SESSION_COOKIE_AGE = 3600 * IPPLAN_SESSION_MAX_HOURS if IPPLAN_SESSION_MAX_HOURS > 0 else 14 * 24 * 3600
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
# Digest of evidence files, stored with each file and checked whenever one is served: "sha256",
# or "sm3" (GB/T 32905, through OpenSSL's hashlib.new("sm3")) for 商用密码 deployments. Each
# attachment keeps the algorithm it was stored with, so changing this leaves old files verifiable.
IPPLAN_FILE_DIGEST = env.str("IPPLAN_FILE_DIGEST", default="sha256").lower()
if IPPLAN_FILE_DIGEST not in ("sha256", "sm3") or IPPLAN_FILE_DIGEST not in hashlib.algorithms_available:
    raise ImproperlyConfigured(
        f"IPPLAN_FILE_DIGEST={IPPLAN_FILE_DIGEST!r}: use sha256, or sm3 where OpenSSL provides it"
    )
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
# Request bodies (ipplan.middleware.RequestBodyLimitMiddleware refuses larger ones with 413 before
# anything parses them): Django's 2.5 MB everywhere, form fields included, except the upload
# endpoints, whose file parts stream to disk: a progress report with up to 10 evidence files of
# 20 MB each, a plan document of up to 20 MB (each with room for the form around the files).
IPPLAN_MAX_BODY_BYTES = env.int("IPPLAN_MAX_BODY_BYTES", default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = IPPLAN_MAX_BODY_BYTES
IPPLAN_REPORT_MAX_BODY_BYTES = env.int("IPPLAN_REPORT_MAX_BODY_BYTES", default=205 * 1024 * 1024)
IPPLAN_IMPORT_MAX_BODY_BYTES = env.int("IPPLAN_IMPORT_MAX_BODY_BYTES", default=21 * 1024 * 1024)

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

# --- outbound HTTP (webhooks, department robots: ipplan.outbound) ----------------------------
# Networks (comma-separated CIDRs) an administrator opens for webhooks and robots although they
# are internal (loopback, private, link-local ...); empty: only public addresses are called.
IPPLAN_OUTBOUND_ALLOW_NETWORKS = env.str("IPPLAN_OUTBOUND_ALLOW_NETWORKS", default="")
for _network in IPPLAN_OUTBOUND_ALLOW_NETWORKS.replace(";", ",").split(","):
    try:  # a typo must stop the start, not surface at the first delivery
        if _network.strip():
            ipaddress.ip_network(_network.strip(), strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"IPPLAN_OUTBOUND_ALLOW_NETWORKS: {_network.strip()!r} is not a network"
        ) from _error

# --- plan import ------------------------------------------------------------------------------
# Every upload is read once, in a child process under a memory cap and a deadline; files above
# IPPLAN_IMPORT_INLINE_BYTES are read by a Celery job (with a progress bar) instead of the request,
# and plans with more tasks than IPPLAN_IMPORT_INLINE_COMMIT_TASKS are committed by a job too.
IPPLAN_IMPORT_INLINE_BYTES = env.int("IPPLAN_IMPORT_INLINE_BYTES", default=1024 * 1024)
IPPLAN_IMPORT_INLINE_SECONDS = env.float("IPPLAN_IMPORT_INLINE_SECONDS", default=20.0)
IPPLAN_IMPORT_JOB_SECONDS = env.float("IPPLAN_IMPORT_JOB_SECONDS", default=120.0)
IPPLAN_IMPORT_MEMORY_MB = env.int("IPPLAN_IMPORT_MEMORY_MB", default=512)
IPPLAN_IMPORT_INLINE_COMMIT_TASKS = env.int("IPPLAN_IMPORT_INLINE_COMMIT_TASKS", default=300)

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
    "EXCEPTION_HANDLER": "ipplan.api.refusals.exception_handler",
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
    "filters": {"quiet_refusals": {"()": "ipplan.refusals.QuietRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("IPPLAN_LOG_LEVEL", default="INFO")},
    # refusals are logged as one line by ipplan.refusals.RefusalLogMiddleware
    "loggers": {"axes": {"level": "WARNING"}, "django.request": {"filters": ["quiet_refusals"]}},
}

# --- security audit log (ipplan.security) ---------------------------------------------------
# Key of the HMAC chain; empty: derived from SECRET_KEY (set it apart so that rotating
# SECRET_KEY does not orphan the chain). Algorithm: hmac-sm3 or hmac-sha256; empty: SM3 where
# OpenSSL offers it. Records older than IPPLAN_AUDIT_KEEP_DAYS (at least 180) may be pruned.
IPPLAN_AUDIT_HMAC_KEY = env.str("IPPLAN_AUDIT_HMAC_KEY", default="")
IPPLAN_AUDIT_HMAC_ALGORITHM = env.str("IPPLAN_AUDIT_HMAC_ALGORITHM", default="")
IPPLAN_AUDIT_KEEP_DAYS = env.int("IPPLAN_AUDIT_KEEP_DAYS", default=180)

ADMIN_SITE_HEADER = _("ipplan 知识产权工作方案督办平台")

# === operations (issue 17): metrics, logs, health, beat lock, backups ===========================
# Request latency is timed around the whole stack (first middleware).
MIDDLEWARE.insert(0, "ipplan.metrics.RequestMetricsMiddleware")
# /readyz and /metrics are polled over plain HTTP from inside the network, like /healthz.
SECURE_REDIRECT_EXEMPT += [r"^readyz$", r"^metrics$"]

# /metrics answers callers from these networks (comma-separated CIDRs; empty: none) or with
# "Authorization: Bearer <IPPLAN_METRICS_TOKEN>" (empty: no token accepted); everyone else 403.
IPPLAN_METRICS_TOKEN = env.str("IPPLAN_METRICS_TOKEN", default="")
IPPLAN_METRICS_ALLOW_NETWORKS = env.str("IPPLAN_METRICS_ALLOW_NETWORKS", default="127.0.0.0/8,::1/128")
try:
    IPPLAN_METRICS_NETWORKS = [
        ipaddress.ip_network(_net.strip(), strict=False)
        for _net in IPPLAN_METRICS_ALLOW_NETWORKS.replace(";", ",").split(",")
        if _net.strip()
    ]
except ValueError as _error:
    raise ImproperlyConfigured(f"IPPLAN_METRICS_ALLOW_NETWORKS: {_error}") from _error
# Figures read from the database and the broker at scrape time are kept this long in the cache.
IPPLAN_METRICS_CACHE_SECONDS = env.int("IPPLAN_METRICS_CACHE_SECONDS", default=15)

# Logs: "plain" (one line of text, the default) or "json" (one JSON object a line, for a log
# collector). Celery then keeps Django's handlers instead of installing its own.
IPPLAN_LOG_FORMAT = env.str("IPPLAN_LOG_FORMAT", default="plain").lower()
if IPPLAN_LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"IPPLAN_LOG_FORMAT={IPPLAN_LOG_FORMAT!r}: use plain or json")
LOGGING["formatters"]["json"] = {  # type: ignore[index]
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
    "json_ensure_ascii": False,
}
LOGGING["handlers"]["console"]["formatter"] = IPPLAN_LOG_FORMAT  # type: ignore[index]
CELERY_WORKER_HIJACK_ROOT_LOGGER = IPPLAN_LOG_FORMAT == "plain"

# Beat runs once: every beat process takes a lock before it sends anything (ipplan.beat); a second
# one stands by and takes over when the first stops. "auto": Redis when REDIS_URL is set (any
# number of hosts), else a file lock in IPPLAN_DATA_DIR (one host); "off": no lock.
CELERY_BEAT_SCHEDULER = "ipplan.beat:LockedScheduler"
IPPLAN_BEAT_LOCK = env.str("IPPLAN_BEAT_LOCK", default="auto").lower()
if IPPLAN_BEAT_LOCK not in ("auto", "redis", "file", "off"):
    raise ImproperlyConfigured(f"IPPLAN_BEAT_LOCK={IPPLAN_BEAT_LOCK!r}: use auto, redis, file or off")
# The Redis lock expires this long after the holder's last renewal (it renews every third of it).
IPPLAN_BEAT_LOCK_SECONDS = env.int("IPPLAN_BEAT_LOCK_SECONDS", default=60)
# === end of operations ===========================================================================
# --- Directory sign-in (LDAP/AD and OIDC) — directory/ ------------------------------------
# Both are off unless configured; local accounts keep working. Directory groups become roles and
# departments through the mappings the security administrator keeps (admin site: 目录组映射).
import ldap  # noqa: E402
from django_auth_ldap.config import (  # noqa: E402
    ActiveDirectoryGroupType,
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPSearch,
    NestedActiveDirectoryGroupType,
    PosixGroupType,
)

INSTALLED_APPS += ["directory"]
AUTHENTICATION_BACKENDS = [
    *AUTHENTICATION_BACKENDS[:1],
    # tells directory users (no local password) where to sign in, before the password checks;
    # it loads no user (no get_user), so sessions and force_login keep using ModelBackend
    "directory.backends.DirectoryUserGuardBackend",
    *AUTHENTICATION_BACKENDS[1:],
    # after the local accounts: a local user signs in without a round trip to the directory
    "directory.backends.DirectoryLDAPBackend",
]
AUTH_LDAP_SERVER_URI = env.str("IPPLAN_LDAP_SERVER_URI", default="")
AUTH_LDAP_BIND_DN = env.str("IPPLAN_LDAP_BIND_DN", default="")
AUTH_LDAP_BIND_PASSWORD = env.str("IPPLAN_LDAP_BIND_PASSWORD", default="")
AUTH_LDAP_START_TLS = env.bool("IPPLAN_LDAP_START_TLS", default=False)
AUTH_LDAP_USER_SEARCH = LDAPSearch(
    env.str("IPPLAN_LDAP_USER_SEARCH_BASE", default=""),
    ldap.SCOPE_SUBTREE,
    # Active Directory: (sAMAccountName=%(user)s)
    env.str("IPPLAN_LDAP_USER_FILTER", default="(uid=%(user)s)"),
)
AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
    env.str("IPPLAN_LDAP_GROUP_SEARCH_BASE", default=""),
    ldap.SCOPE_SUBTREE,
    env.str("IPPLAN_LDAP_GROUP_FILTER", default="(objectClass=*)"),
)
AUTH_LDAP_GROUP_TYPE = {
    "groupOfNames": GroupOfNamesType,
    "groupOfUniqueNames": GroupOfUniqueNamesType,
    "posixGroup": PosixGroupType,
    "activeDirectory": ActiveDirectoryGroupType,
    "nestedActiveDirectory": NestedActiveDirectoryGroupType,
}[env.str("IPPLAN_LDAP_GROUP_TYPE", default="groupOfNames")]()
_ldap_ca_file = env.str("IPPLAN_LDAP_CA_FILE", default="")
AUTH_LDAP_GLOBAL_OPTIONS = {ldap.OPT_X_TLS_CACERTFILE: _ldap_ca_file} if _ldap_ca_file else {}
AUTH_LDAP_CONNECTION_OPTIONS = {
    ldap.OPT_REFERRALS: 0,
    ldap.OPT_NETWORK_TIMEOUT: env.int("IPPLAN_LDAP_TIMEOUT", default=5),
    ldap.OPT_TIMEOUT: env.int("IPPLAN_LDAP_TIMEOUT", default=5),
}
# The user is created and updated by ipplan's mapping service, never from raw LDAP attributes.
AUTH_LDAP_ALWAYS_UPDATE_USER = False
AUTH_LDAP_USER_ATTR_MAP: dict[str, str] = {}
IPPLAN_LDAP_ATTR_EMAIL = env.str("IPPLAN_LDAP_ATTR_EMAIL", default="mail")
IPPLAN_LDAP_ATTR_NAME = env.str("IPPLAN_LDAP_ATTR_NAME", default="displayName")

IPPLAN_OIDC_DISCOVERY_URL = env.str("IPPLAN_OIDC_DISCOVERY_URL", default="")
IPPLAN_OIDC_CLIENT_ID = env.str("IPPLAN_OIDC_CLIENT_ID", default="")
IPPLAN_OIDC_CLIENT_SECRET = env.str("IPPLAN_OIDC_CLIENT_SECRET", default="")
IPPLAN_OIDC_SCOPES = env.str("IPPLAN_OIDC_SCOPES", default="openid profile email groups")
IPPLAN_OIDC_GROUPS_CLAIM = env.str("IPPLAN_OIDC_GROUPS_CLAIM", default="groups")
IPPLAN_OIDC_USERNAME_CLAIM = env.str("IPPLAN_OIDC_USERNAME_CLAIM", default="preferred_username")
# Set behind a proxy that rewrites the host; otherwise built from the request.
IPPLAN_OIDC_REDIRECT_URI = env.str("IPPLAN_OIDC_REDIRECT_URI", default="")
if IPPLAN_OIDC_DISCOVERY_URL:
    from urllib.parse import urlsplit as _urlsplit

    _oidc_origin = "{0.scheme}://{0.netloc}".format(_urlsplit(IPPLAN_OIDC_DISCOVERY_URL))
    # The sign-out form redirects to the platform's end-session page (browsers apply form-action).
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [
        *CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"],
        _oidc_origin,
    ]
# --- end of directory sign-in ----------------------------------------------------------------

# === broker: queues, routing, RabbitMQ (helper broker, issue 17) ================================
# Redis (redis://…) or RabbitMQ (amqp://user:password@host:5672/vhost) as CELERY_BROKER_URL; the
# embedded start keeps its folder broker. Each kind of job has its own durable queue, so that a
# flood of one (a thousand webhook retries, a big import) cannot starve the others: run one worker
# per queue ("celery -A config worker -Q reminders", see README "Broker and queues"); a worker
# started without -Q consumes all of them.
from kombu import Exchange, Queue  # noqa: E402

IPPLAN_QUEUE_DEFAULT = "celery"  # beat's own bookkeeping and anything not routed below
IPPLAN_QUEUES = (IPPLAN_QUEUE_DEFAULT, "reminders", "webhooks", "imports")
# Durable exchanges and queues, persistent messages: RabbitMQ keeps what was queued across a
# restart (Redis keeps it as far as its own persistence, AOF/RDB, does).
CELERY_TASK_QUEUES = tuple(
    Queue(_name, Exchange(_name, type="direct", durable=True), routing_key=_name, durable=True)
    for _name in IPPLAN_QUEUES
)
CELERY_TASK_DEFAULT_QUEUE = IPPLAN_QUEUE_DEFAULT
CELERY_TASK_DEFAULT_EXCHANGE = IPPLAN_QUEUE_DEFAULT
CELERY_TASK_DEFAULT_ROUTING_KEY = IPPLAN_QUEUE_DEFAULT
CELERY_TASK_DEFAULT_DELIVERY_MODE = "persistent"
CELERY_TASK_ROUTES = {
    "tasks.jobs.reminders_tick": {"queue": "reminders", "routing_key": "reminders"},
    "tasks.jobs.notifications_deliver": {"queue": "reminders", "routing_key": "reminders"},
    "tasks.jobs.notification_send": {"queue": "reminders", "routing_key": "reminders"},
    "webhooks.jobs.*": {"queue": "webhooks", "routing_key": "webhooks"},
    "tasks.jobs.import_*": {"queue": "imports", "routing_key": "imports"},
}
# Acknowledgement. CELERY_TASK_ACKS_LATE above (with reject-on-worker-lost) holds for every job
# that is idempotent, i.e. for all but one: a message is acknowledged only after the job ran, so
# a worker killed mid-job, or a broker restart before the ack, hands the message to another worker,
# and running it again sends nothing twice because
#   - reminders_tick creates each due reminder once (unique dedup key) and only enqueues delivery;
#   - notifications_deliver / notification_send and webhooks_deliver / webhook_send claim each row
#     (pending -> sending) in a transaction before sending and skip rows already claimed or sent;
#   - webhooks_prune deletes what is past its age: a second run finds nothing more;
#   - import_parse / import_commit act only on an import still in the state that awaits them (the
#     file is read in a child process under the job's time and memory limits, so a bad file ends
#     the import with an error rather than killing the worker over and over).
# The exception: the heartbeat counts beat's ticks, and a redelivered tick would count twice, so
# it is acknowledged on receipt (a lost tick is just the next tick).
CELERY_TASK_ANNOTATIONS = {"ipplan.jobs.heartbeat": {"acks_late": False}}
if CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # Publisher confirms: a job published while RabbitMQ restarts raises (and is retried by
    # Celery's publish retry) instead of being lost silently. visibility_timeout is Redis-only.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
    # A worker keeps one message at a time per process (prefetch 1 above); RabbitMQ's own
    # consumer_timeout (30 min by default) must stay above IPPLAN_IMPORT_JOB_SECONDS.
    CELERY_BROKER_HEARTBEAT = env.int("IPPLAN_BROKER_HEARTBEAT", default=60)
# === end of broker ================================================================================

# === database replica and PgBouncer (helper broker, issue 17) =====================================
# DATABASE_REPLICA_URL: a streaming replica of DATABASE_URL. The dashboards, the exports and the
# REST API's list endpoints (GET) read from it; everything else, and these too for a few seconds
# after the same browser wrote something, reads and writes the primary (ipplan.dbrouter).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
IPPLAN_REPLICA_STICKY_SECONDS = env.int("IPPLAN_REPLICA_STICKY_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    for _key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "OPTIONS"):
        if _key in DATABASES["default"]:
            DATABASES["replica"].setdefault(_key, DATABASES["default"][_key])
    # tests: the replica is the primary's test database, seen through a second connection
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["ipplan.dbrouter.ReplicaRouter"]
    MIDDLEWARE.append("ipplan.dbrouter.ReplicaReadMiddleware")
# DATABASE_PGBOUNCER=1 when DATABASE_URL (and DATABASE_REPLICA_URL) point at PgBouncer in
# transaction mode: a named (server-side) cursor must not outlive its transaction there, so the
# chunked reads of the exports use client-side cursors. ipplan keeps no other session state
# (SET LOCAL only inside transactions; the time zone is a parameter PgBouncer tracks itself).
IPPLAN_PGBOUNCER = env.bool("DATABASE_PGBOUNCER", default=False)
if IPPLAN_PGBOUNCER:
    for _alias in DATABASES:
        DATABASES[_alias]["DISABLE_SERVER_SIDE_CURSORS"] = True
# === end of database replica ======================================================================

# === files and object storage (helper storage, issue 17) =========================================
# Evidence files, import uploads and backups go through Django's default storage. "local" (the
# embedded default): MEDIA_ROOT on this host's disk. "s3": an S3-compatible object store (MinIO,
# a cloud's S3 service) through django-storages, so that web and worker processes on any number of
# hosts see the same files. The bucket is private: no object is ever public, nothing links to it.
IPPLAN_STORAGE = env.str("IPPLAN_STORAGE", default="local").lower()
if IPPLAN_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"IPPLAN_STORAGE={IPPLAN_STORAGE!r}: use local or s3")
# How a permitted download is delivered: "stream" (the default) reads the file through the app and
# checks its digest on the way; "presigned" answers with a redirect to a URL signed for
# IPPLAN_PRESIGNED_SECONDS, issued only after the permission check (S3 only; local disk streams).
IPPLAN_DOWNLOADS = env.str("IPPLAN_DOWNLOADS", default="stream").lower()
if IPPLAN_DOWNLOADS not in ("stream", "presigned"):
    raise ImproperlyConfigured(f"IPPLAN_DOWNLOADS={IPPLAN_DOWNLOADS!r}: use stream or presigned")
IPPLAN_PRESIGNED_SECONDS = env.int("IPPLAN_PRESIGNED_SECONDS", default=60)
if not 1 <= IPPLAN_PRESIGNED_SECONDS <= 3600:
    raise ImproperlyConfigured("IPPLAN_PRESIGNED_SECONDS must be between 1 and 3600")
if IPPLAN_STORAGE == "s3":
    import botocore.config

    _s3_bucket = env.str("IPPLAN_S3_BUCKET", default="")
    if not _s3_bucket:
        raise ImproperlyConfigured("IPPLAN_STORAGE=s3 needs IPPLAN_S3_BUCKET")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {  # type: ignore[dict-item]  # (STORAGES above holds only strings)
            "bucket_name": _s3_bucket,
            # empty: the AWS endpoint of the region; MinIO and other stores: their URL
            "endpoint_url": env.str("IPPLAN_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("IPPLAN_S3_REGION", default="") or None,
            # empty keys: boto3's own chain (instance role, AWS_* variables, ~/.aws)
            "access_key": env.str("IPPLAN_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("IPPLAN_S3_SECRET_KEY", default="") or None,
            # a folder inside the bucket, when the bucket is shared with other applications
            "location": env.str("IPPLAN_S3_PREFIX", default="").strip("/"),
            # MinIO and most on-premises stores want path-style addresses (http://host/bucket/key)
            # (and a bounded wait, so /readyz and a request fail fast when the store is away)
            "client_config": botocore.config.Config(
                s3={"addressing_style": env.str("IPPLAN_S3_ADDRESSING_STYLE", default="path")},
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
            # private objects: the bucket's policy applies (no ACL), URLs are always signed
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": IPPLAN_PRESIGNED_SECONDS,
            # names are generated (a random token); never overwrite, never guess a new name silently
            "file_overwrite": False,
            # false only for a store behind a private CA that is not in the system bundle
            "verify": env.bool("IPPLAN_S3_VERIFY_TLS", default=True),
            # downloaded objects up to this size stay in memory, bigger ones spool to a temp file
            "max_memory_size": 5 * 1024 * 1024,
        },
    }
# === end of files and object storage =============================================================
