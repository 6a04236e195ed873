"""Settings shared by every environment. Values come from the environment
through one `environ.Env()`; every variable is documented in `.env.example`."""

import datetime
import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from benchmark_portal.database import embedded_database
from core.logging import build_logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "core",
    "accounts",
    "territories",
    "experiences",
    "studies",
    "partnerships",
    "benchmark_portal",
]

MIDDLEWARE = [
    # First: the request id and the log line cover the whole stack; probes are
    # answered before host validation and the HTTPS redirect (core/health.py).
    "core.logging.RequestLogMiddleware",
    "core.health.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "core.middleware.RejectNullBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "benchmark_portal.urls"
WSGI_APPLICATION = "benchmark_portal.wsgi.application"
ASGI_APPLICATION = "benchmark_portal.asgi.application"

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
                "django.template.context_processors.csp",
                "accounts.context_processors.portal",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {"default": embedded_database(BASE_DIR)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# True behind PgBouncer in transaction pooling mode (README, "Scaling out").
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False)
DATABASES["default"].setdefault("TEST", {})
# pgvector's HNSW scans (semantic and hybrid search, experiences/semantic): 100 candidates (the
# hybrid DEPTH), and an iterative scan that keeps reading the graph until that many fiches pass
# the visibility and filter conditions of the same statement. Connection options cost no query;
# a server without pgvector keeps them as unused placeholders. (Behind PgBouncer, list
# "options" in its ignore_startup_parameters or set these two on the database instead.)
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c hnsw.ef_search=100 -c hnsw.iterative_scan=strict_order".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Username or e-mail, with django-axes' sign-in lockout first (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend", "accounts.backends.PortalAuthBackend"]
# LOGIN_LOCKOUT_FAILURES failures for one account (however it was named: username in
# any case or e-mail) from one address lock that pair for LOGIN_LOCKOUT_MINUTES (429).
# Another address still signs in, so nobody can lock a member out of their office.
AXES_FAILURE_LIMIT = env.int("LOGIN_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
# The address the API throttles see (DJANGO_NUM_PROXIES trusted proxies), not ipware's guess.
AXES_CLIENT_IP_CALLABLE = "accounts.backends.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.backends.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False

# --- Security headers (the same everywhere; production adds HTTPS-only settings) ---
# Content Security Policy with a per-response nonce: templates put nonce="{{ csp_nonce }}"
# on <script> and <style>; no inline style="" attributes, no inline event handlers.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Languages ------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"
USE_THOUSAND_SEPARATOR = True

# --- Files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Files only ever served through a view that checks who may read them (attachments,
# partnership documents, deliverables, client reports: core/storage.py). Keep this
# folder out of the web server's /media/ alias; a system check refuses it inside
# MEDIA_ROOT or STATIC_ROOT.
PRIVATE_MEDIA_ROOT = Path(env("DJANGO_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "core.storage.PrivateStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------
MAILERS = {
    "default": {"BACKEND": env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")}
}
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Périscope <noreply@periscope.localhost>")

# --- Cache ----------------------------------------------------------------
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://periscope"),
}

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="") or None
# Without a broker (plain `make run` on a machine without Redis) tasks run in-process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=150)
# The visibility timeout must exceed the hard time limit, or a long task is
# redelivered while it still runs; a short unacked-restore sweep brings back the
# task of a worker killed outright within seconds (see STACK-NOTES).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 30)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_ROUTES = {"studies.tasks.*": {"queue": "reports"}}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = TIME_ZONE
# Periodic tasks, run by `celery -A benchmark_portal beat` (or a worker started with -B).
CELERY_BEAT_SCHEDULE = {
    "partnerships-deliverable-reminders": {
        "task": "partnerships.tasks.send_deliverable_reminders",
        "schedule": crontab(hour=7, minute=0),  # every day at 07:00, Paris time
    },
    "experiences-saved-search-digests": {
        "task": "experiences.tasks.send_saved_search_digests",
        # Every day at 07:30, Paris time: daily alerts each morning, weekly ones every seventh day.
        "schedule": crontab(hour=7, minute=30),
    },
    # Suggestions ("Vouliez-vous dire") are drawn from public fiches only; writes add words,
    # this full rebuild removes those of fiches that left the public (also queued on such a change).
    "experiences-search-vocabulary": {
        "task": "experiences.tasks.rebuild_search_vocabulary",
        "schedule": crontab(hour=3, minute=15),  # every night at 03:15, Paris time
    },
    # Catch-up for fiches whose vector is missing or older than the fiche (a lost task,
    # a bulk write in-process, a model change): see experiences/semantic/jobs.py.
    "experiences-embed-missing": {
        "task": "experiences.semantic.tasks.embed_missing_experiences",
        "schedule": crontab(minute="*/15"),
    },
}

# --- Semantic search (experiences/semantic; README "Meaning, not only words") ---
# Off: no model is loaded, no vector is computed or read; search is words-only.
SEMANTIC_SEARCH = env.bool("SEMANTIC_SEARCH", default=True)
# Threads of the embedding engine per process. 1 keeps a query's time steady on a busy
# machine (2 OpenMP threads spinning against other processes: p95 1.2 s instead of 61 ms).
SEMANTIC_THREADS = env.int("SEMANTIC_THREADS", default=1)

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Proxies in front of Django (0: use REMOTE_ADDR). Read by the throttles and the
    # sign-in lockout; without it a client could pick its own X-Forwarded-For address.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # django-filter's backend, with model-choice filters as text inputs in the browsable
    # API's form (core/api/filters.py): no form renders thousands of <option>s.
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        # The browsable API (?format=api): DJANGO_API_BROWSABLE, off by default in production.
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if env.bool("DJANGO_API_BROWSABLE", default=True) else []),
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # THE rate limits, API and HTML alike (core/throttling.py): anon and user apply to
    # every API call; the other scopes to heavy work wherever it is asked for.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
        # Search, selection and partnership exports, page and API.
        "exports": env("API_THROTTLE_EXPORTS", default="20/hour"),
        # Single-fiche PDF, rendered in the request (~0.25 s each).
        "pdf": env("THROTTLE_PDF", default="60/hour"),
        # Study report generations (a worker renders each).
        "reports": env("THROTTLE_REPORTS", default="30/hour"),
        # Spreadsheet imports (checks and commits).
        "imports": env("THROTTLE_IMPORTS", default="30/hour"),
        # Password reset e-mails, per client address.
        "password_reset": env("THROTTLE_PASSWORD_RESET", default="5/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Périscope API",
    "DESCRIPTION": "Expériences territoriales, études de benchmarking et partenariats.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
    # Several models have a "kind", "status" or "visibility": one named enum each.
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "experiences.models.Organisation.Kind",
        "TerritoryKindEnum": "territories.models.Territory.Kind",
        "PartnershipKindEnum": "partnerships.models.Partnership.Kind",
        "ExperienceStatusEnum": "experiences.models.Experience.Status",
        "ExperienceVisibilityEnum": "experiences.models.Experience.Visibility",
        "PartnershipVisibilityEnum": "partnerships.models.Partnership.Visibility",
        "DeliverableStatusEnum": "partnerships.models.Deliverable.Status",
        "StudyStatusEnum": "studies.models.Study.Status",
    },
}

# --- Portal branding (used by pages and PDF reports) ----------------------
PORTAL_NAME = env("PORTAL_NAME", default="Périscope")
# Scheme and host put before links in e-mails and exports (no trailing slash).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
REPORT_BRAND_NAME = env("REPORT_BRAND_NAME", default="Périscope Conseil")
REPORT_BRAND_PRIMARY = env("REPORT_BRAND_PRIMARY", default="#1d3557")
REPORT_BRAND_ACCENT = env("REPORT_BRAND_ACCENT", default="#e63946")
# A path under static/ (the admin's "Identité des rapports" overrides all four).
REPORT_BRAND_LOGO = env("REPORT_BRAND_LOGO", default="img/periscope.svg")
# A report is laid out in this many parts at once (forked processes, one per
# core); 1 lays it out in one piece. See core/pdf_parts.py.
# Recovery of report jobs (studies/worker.py): workers write a heartbeat on the jobs they
# render every REPORT_HEARTBEAT_INTERVAL seconds; a holder silent for REPORT_HOLDER_STALE_AFTER
# seconds is gone and any worker takes its jobs back (a restarted worker takes back its own at
# once); a job nobody took back after REPORT_JOB_ABANDON_AFTER seconds fails with its reason.
REPORT_HEARTBEAT_INTERVAL = env.int("REPORT_HEARTBEAT_INTERVAL", default=5)
REPORT_HOLDER_STALE_AFTER = env.int("REPORT_HOLDER_STALE_AFTER", default=20)
REPORT_JOB_ABANDON_AFTER = env.int("REPORT_JOB_ABANDON_AFTER", default=300)
REPORT_RENDER_PROCESSES = env.int("REPORT_RENDER_PROCESSES", default=min(os.cpu_count() or 1, 4))

# --- Logging (core/logging.py): request id, user id, duration, task id on every line
LOGGING = build_logging_config(
    level=env("DJANGO_LOG_LEVEL", default="INFO"),
    fmt=env("DJANGO_LOG_FORMAT", default="text"),  # "json" in production
)
# Queries slower than this many milliseconds are logged with their SQL (0 logs all, -1 none).
SLOW_QUERY_MS = env.int("DJANGO_SLOW_QUERY_MS", default=300)
