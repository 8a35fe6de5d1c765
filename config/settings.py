"""Settings for the Expertise Exchange, read from the environment.

With nothing set, the Exchange runs on embedded defaults: SQLite in the project folder and
Celery tasks executed in-process, so the demo needs no services. ``DJANGO_ENV=production``
switches on the production safety rails (a real SECRET_KEY is required, HTTPS-only cookies,
HSTS). See the configuration table in README.md.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    # No default: production refuses to start without a real key.
    SECRET_KEY = env.str("SECRET_KEY")
    if SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5 or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be a random string of 50 or more characters.")
else:
    SECRET_KEY = env.str(
        "SECRET_KEY", default="django-insecure-development-only-never-use-this-key-in-production"
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The library's full-text search (SearchVectorField, SearchRank); harmless on SQLite.
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "accounts",
    "exchange",
    "matching",
    "scheduling",
    "library",
    "knowledge",
    "insights",
    "demo",
]

MIDDLEWARE = [
    # First: every later log line of the request carries its id, and the metrics time it all.
    "config.request_id.RequestIdMiddleware",
    "config.metrics.RequestMetricsMiddleware",
    # A view that cannot reach PostgreSQL answers 503, not 500.
    "config.errors.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.security_headers.SecurityHeadersMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # 413 for oversized bodies, 400 for control characters in query parameters.
    "config.middleware.HostileInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login form into its 429.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Serves collected static files (admin, Swagger UI) from gunicorn; in development
    # runserver serves them from the apps.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two writers queue
        # instead of one failing with "database is locked" halfway through.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, throttling, Celery broker -------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Short socket timeouts: a hung Redis must fail a request quickly, not hang it.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)
# Redis is optional at run time: after a failure it is skipped for this long, while the cache
# misses, the general throttles fail open and outbox messages wait (config/resilience.py).
REDIS_BREAKER_SECONDS = env.float("REDIS_BREAKER_SECONDS", default=5.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.resilience.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "exchange",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without Redis, tasks run in-process so the demo needs no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_TIMEOUT
# The worker and beat outlive a Redis outage of any length: they reconnect, never give up.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    # A task whose worker died without acknowledging it (acks_late) runs again after this.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
# Publishing gives up quickly when the broker is down: the outbox keeps the message and the
# sweep publishes it later, so a web request never waits long on Redis.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE = {
    # Often enough that work queued during a Redis outage leaves within a minute of its end.
    "outbox-sweep": {
        "task": "exchange.outbox_sweep",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=20.0),
    },
    "expire-proposals": {"task": "matching.expire_proposals", "schedule": 15 * 60.0},
    "matching-round": {
        "task": "matching.run_round",
        "schedule": env.int("MATCHING_ROUND_MINUTES", default=60) * 60.0,
    },
    # Reminders are rows in the database that beat picks up, not long Celery ETAs.
    "send-reminders": {"task": "scheduling.send_reminders", "schedule": 60.0},
    "lapse-offers": {"task": "scheduling.lapse_offers", "schedule": 15 * 60.0},
    # Feedback and outcome-review reminders: each is a unique row, sent once.
    "knowledge-reminders": {"task": "knowledge.send_reminders", "schedule": 60 * 60.0},
}

# --- Scheduling -----------------------------------------------------------------------------
SCHEDULING = {
    # Sessions are offered no sooner than this many school days ahead, and no later than
    # the horizon.
    "MIN_NOTICE_SCHOOL_DAYS": env.int("SESSION_MIN_NOTICE_SCHOOL_DAYS", default=2),
    "HORIZON_DAYS": env.int("SESSION_HORIZON_DAYS", default=42),
    # Minutes between two of an expert's sessions; visits add travel time on top.
    "BUFFER_MINUTES": env.int("SESSION_BUFFER_MINUTES", default=15),
    # A reschedule or cancellation this close to the start is recorded as late.
    "LATE_CHANGE_HOURS": env.int("SESSION_LATE_CHANGE_HOURS", default=48),
    # Offered slots the school has not confirmed are released after this many days.
    "OFFER_HOLD_DAYS": env.int("SESSION_OFFER_HOLD_DAYS", default=5),
    "SLOTS_OFFERED": env.int("SESSION_SLOTS_OFFERED", default=3),
}

# --- Library of guidance ---------------------------------------------------------------------
LIBRARY = {
    # An upload larger than this is refused (checked on the bytes received).
    "MAX_FILE_BYTES": env.int("LIBRARY_MAX_FILE_MB", default=10) * 1024 * 1024,
    "MAX_FILES_PER_RESOURCE": env.int("LIBRARY_MAX_FILES_PER_RESOURCE", default=10),
    # An approval's review-by date when the admin gives none.
    "REVIEW_AFTER_DAYS": env.int("LIBRARY_REVIEW_AFTER_DAYS", default=365),
}

# --- Knowledge: feedback and outcomes ------------------------------------------------------
KNOWLEDGE = {
    # A participant may change their feedback for this many days after giving it.
    "FEEDBACK_EDIT_DAYS": env.int("FEEDBACK_EDIT_DAYS", default=7),
    # Participants who have not answered are reminded this many school days after the
    # session (once each).
    "FEEDBACK_REMINDER_SCHOOL_DAYS": (3, 10),
    # The outcome review is due this many school weeks (five school days each) after the
    # request's last session.
    "REVIEW_AFTER_SCHOOL_WEEKS": env.int("OUTCOME_REVIEW_SCHOOL_WEEKS", default=6),
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out login before the password is checked (accounts/lockout.py).
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# How many proxies of ours sit in front of the app and append to X-Forwarded-For. 0: the
# header is ignored and the client is the socket's peer (config/client_ip.py). Every
# throttle, the login lockout and the X-Request-ID header depend on it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Failed-login lockout (django-axes), shared by every process through the database: an email
# and client IP pair is locked out after LOGIN_FAILURE_LIMIT failures, for the cool-off.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Only what a lockout needs is stored (email, IP, user agent, path of the failures; never a
# password); successful sign-ins and each failure's details are not logged in the database.
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_KNOX = {
    "TOKEN_TTL": timedelta(minutes=env.int("TOKEN_TTL_MINUTES", default=600)),
    "AUTH_HEADER_PREFIX": "Bearer",
    # Bounds how many live tokens (devices) one user may hold.
    "TOKEN_LIMIT_PER_USER": env.int("TOKEN_LIMIT_PER_USER", default=20),
    "AUTO_REFRESH": False,
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        # orjson: the same JSON, rendered several times faster than the json module.
        "drf_orjson_renderer.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Bounded size and depth, no control characters (config/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        # django-filter's, without building a FilterSet when nothing names a filter.
        "config.filtering.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonThrottle",
        "config.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "auth": env.str("THROTTLE_AUTH", default="10/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "config.schema.ExchangeAutoSchema",
    "EXCEPTION_HANDLER": "config.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "TIME_FORMAT": "%H:%M",
    # JSON only; and `?format=` is ours (a filter on experts), not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}
# Bodies past this are a 413 (Django's default, 2.5 MiB, stated: the API's JSON is far smaller).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=25)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=100)
# An unfiltered list of a bigger table reports PostgreSQL's row estimate as its count.
API_EXACT_COUNT_LIMIT = env.int("API_EXACT_COUNT_LIMIT", default=100_000)

SPECTACULAR_SETTINGS = {
    "TITLE": "Expertise Exchange API",
    "DESCRIPTION": (
        "Special schools lend their expertise to mainstream schools: experts, support requests, "
        "matching and knowledge-sharing sessions. Conventions: docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files: no CDN, so it works offline and under a strict CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.postprocess",
    ],
    "ENUM_NAME_OVERRIDES": {
        "Role": "accounts.enums.Role",
        "SchoolKind": "accounts.enums.SchoolKind",
        "Phase": "accounts.enums.Phase",
        "EducationPhase": "exchange.enums.EducationPhase",
        "RequestStatus": "exchange.enums.RequestStatus",
        "CredentialKind": "exchange.enums.CredentialKind",
        "ExceptionKind": "exchange.enums.ExceptionKind",
        "VerificationStatus": "exchange.enums.VerificationStatus",
        "Format": "exchange.enums.Format",
        "RequestFormat": "exchange.enums.RequestFormat",
        "Level": "exchange.enums.Level",
        "BroadArea": "exchange.enums.BroadArea",
        "RequestScope": "exchange.enums.RequestScope",
        "SenStatus": "exchange.enums.SenStatus",
        "Urgency": "exchange.enums.Urgency",
        "ResourceStatus": "library.enums.ResourceStatus",
        "EvidenceLevel": "library.enums.EvidenceLevel",
        "ResourceVisibility": "library.enums.Visibility",
        "DeclineReason": "matching.enums.DeclineReason",
    },
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# --- Internationalisation and time ------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"  # exchange.constants.LONDON is the same zone (a test checks)
CELERY_TIMEZONE = TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files (the library's attachments) go through Django's storage API: the local
# MEDIA_ROOT by default, an S3-compatible bucket when S3_BUCKET is set. MEDIA_ROOT is never
# served by URL: files are downloaded through the API, access-checked.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default=""),
            # Private objects; the API streams them, so no public or signed URL is handed out.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Console in development, SMTP (configured by the SMTP_* variables) in production.
MAIL_BACKEND = env.str(
    "MAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {"default": {"BACKEND": MAIL_BACKEND, "OPTIONS": {}}}
if MAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("SMTP_HOST", default="localhost"),
        "port": env.int("SMTP_PORT", default=587),
        "username": env.str("SMTP_USERNAME", default=""),
        "password": env.str("SMTP_PASSWORD", default=""),
        "use_tls": env.bool("SMTP_USE_TLS", default=True),
        "timeout": env.int("SMTP_TIMEOUT", default=10),
    }
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Expertise Exchange <no-reply@localhost>"
)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's own middleware) on every response: the API's JSON and
# the pages a person opens (admin, Swagger UI, the browsable API). Everything those pages
# load is ours (Swagger UI comes from drf-spectacular-sidecar, its start-up script from
# SpectacularSwaggerSplitView), so nothing is allowed from another origin. Scripts run only
# from our files or with the request's nonce (admin's templates add it). Styles may be
# inline: DRF's browsable API and Swagger UI's page carry style attributes and a <style>
# block. A test loads each page in headless Chromium and fails on any CSP violation.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Browser features no page of ours uses (config/security_headers.py sends it).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
if PRODUCTION:
    # TLS ends at the load balancer, which sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # /healthz and /readyz are probed over plain HTTP inside the cluster.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_CONTENT_TYPE_NOSNIFF = True

if PRODUCTION and not SECURE_HSTS_PRELOAD:
    # Preloading is a one-way commitment for the whole domain, made by its owner, not by code.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Logging and metrics --------------------------------------------------------------------
# Request bodies and headers are never logged: they hold tokens and descriptions of children.
# Every line carries the request's id (config/request_id.py); production logs one JSON
# object a line (python-json-logger), development plain text.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'plain'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.request_id.RequestIdFilter"},
        "server_errors_only": {"()": "config.logs.ServerErrorsOnly"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Every sign-in would log at INFO; failures and lockouts are WARNING and still logged.
        "axes": {"level": "WARNING"},
        # Django's line for each 4xx is dropped, its 5xx lines kept (config/logs.py).
        "django.request": {"filters": ["server_errors_only"]},
    },
}
# /metrics (config/metrics.py): a platform admin's session, or this bearer token (for the
# scraper). Unset: admins only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_COLLECTORS = ["exchange.metrics.OutboxCollector"]
