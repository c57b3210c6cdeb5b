"""Settings, all read from the environment. See README "Configuration"."""

import re
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.csp import CSP

from restoreui import env
from restoreui.projects import load_from_environment

BASE_DIR = Path(__file__).resolve().parent.parent

RESTOREUI_PROJECTS, DEMO = load_from_environment()

DEBUG = env.get_bool("DJANGO_DEBUG", False)
SECRET_KEY = env.get("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEMO:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set")
    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env.get_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.get_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "restoreui",
]

MIDDLEWARE = [
    "restoreui.middleware.request_id_middleware",
    "restoreui.middleware.time_budget_middleware",
    "restoreui.metrics.page_timer_middleware",
    "django.middleware.security.SecurityMiddleware",
    # Pages are compressed here so a bare gunicorn serves them small too; Django
    # masks the CSRF token per response and pads compressed bodies against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "restoreui.middleware.permissions_policy_middleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "restoreui.middleware.TrustedProxyUserMiddleware",
    # Before the login check, which answers htmx requests its own way.
    "django_htmx.middleware.HtmxMiddleware",
    "restoreui.middleware.HtmxLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "restoreui.urls"
WSGI_APPLICATION = "restoreui.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "restoreui.context_processors.restoreui",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env.get_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers, refresh threads and the watcher write the history at once: a transaction takes the
    # write lock when it begins (instead of failing at once when two read and then both write), waits
    # for it, and readers go on while one writes (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _cache(url: str) -> dict:
    if url.startswith("locmem://"):
        # Django's default of 300 entries thrashes once a project has a few hundred indexes (each
        # one's schedules are two entries), and a warm view would ask Pinecone again.
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "restoreui",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(f"CACHE_URL={url!r}: use locmem:// or redis://host:port/db")


CACHES = {"default": _cache(env.get("CACHE_URL") or "locmem://")}
# Deployments that share one Redis keep their sessions, throttles and copies apart.
CACHES["default"]["KEY_PREFIX"] = env.get("CACHE_KEY_PREFIX", "")
# A locmem cache is one per process: a session or a throttle count kept there
# would depend on which gunicorn worker answers (a logout would not end the
# session on the others). Without a shared cache both live in the database.
RESTOREUI_SHARED_CACHE = CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache"
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if RESTOREUI_SHARED_CACHE else "restoreui.sessions"

AUTHENTICATION_BACKENDS = [
    # Django's ModelBackend, reading each request's user with a prepared query. (Sessions
    # name the backend that logged them in: ones from before it was used log in again.)
    "restoreui.auth.ModelBackend",
    # Used only by TrustedProxyUserMiddleware, which is off unless RESTOREUI_SSO_HEADER is set.
    "restoreui.middleware.SingleSignOnBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or DEMO
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Without collectstatic (make run, tests), serve straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG or DEMO
if WHITENOISE_USE_FINDERS:
    warnings.filterwarnings("ignore", message="No directory at")

# HTTPS: on by default outside demo mode; behind a proxy that terminates TLS,
# DJANGO_PROXY_SSL_HEADER=1 trusts its X-Forwarded-Proto.
SECURE = env.get_bool("DJANGO_SECURE", not DEMO)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env.get_bool("DJANGO_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env.get_int("DJANGO_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env.get_bool("DJANGO_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Probes and scrapers talk plain HTTP inside the network; /metrics still needs its token.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Roles, single sign-on and login throttling. See README "Deployment".
RESTOREUI_READ_ONLY = env.get_bool("RESTOREUI_READ_ONLY", False)
RESTOREUI_TRUSTED_PROXIES = env.get_networks("RESTOREUI_TRUSTED_PROXIES")
RESTOREUI_SSO_HEADER = env.get("RESTOREUI_SSO_HEADER", "")
if RESTOREUI_SSO_HEADER and not RESTOREUI_TRUSTED_PROXIES:
    raise ImproperlyConfigured("RESTOREUI_SSO_HEADER needs RESTOREUI_TRUSTED_PROXIES, or anyone could claim any user")
# Whether a name the SSO proxy sends may log in a local account that has a password.
RESTOREUI_SSO_LOCAL_ACCOUNTS = env.get_bool("RESTOREUI_SSO_LOCAL_ACCOUNTS", False)
RESTOREUI_LOGIN_FAILURE_LIMIT = env.get_int("RESTOREUI_LOGIN_FAILURE_LIMIT", 5, minimum=1)
RESTOREUI_LOGIN_LOCKOUT_SECONDS = env.get_int("RESTOREUI_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# Failures from one address whatever the username, against spraying many usernames.
RESTOREUI_LOGIN_ADDRESS_FAILURE_LIMIT = env.get_int("RESTOREUI_LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
RESTOREUI_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# /metrics answers only when a token is set, and only to "Authorization: Bearer <token>".
RESTOREUI_METRICS_TOKEN = env.get("RESTOREUI_METRICS_TOKEN", "")
RESTOREUI_READYZ_TIMEOUT = env.get_float("RESTOREUI_READYZ_TIMEOUT", 2.0)
RESTOREUI_READYZ_CACHE_SECONDS = env.get_float("RESTOREUI_READYZ_CACHE_SECONDS", 5.0)

# The service module: timeouts (seconds) and cache lifetimes (seconds).
PINECONE_CONNECT_TIMEOUT = env.get_float("PINECONE_CONNECT_TIMEOUT", 3.05)
PINECONE_READ_TIMEOUT = env.get_float("PINECONE_READ_TIMEOUT", 10.0)
PINECONE_RETRIES = env.get_int("PINECONE_RETRIES", 2, maximum=10)
# An answer larger than this is an upstream error (a list page of 100 entries is ~100 KB).
PINECONE_MAX_BODY_BYTES = env.get_int("PINECONE_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024)
PINECONE_LIST_PAGE_CAP = env.get_int("PINECONE_LIST_PAGE_CAP", 100, minimum=1)
PINECONE_BACKOFF = env.get_float("PINECONE_BACKOFF", 0.5)
PINECONE_RETRY_AFTER_MAX = env.get_float("PINECONE_RETRY_AFTER_MAX", 10.0)
# A page stops waiting on Pinecone after this long and answers with what it has;
# below the 60 s a proxy usually waits. See restoreui/pinecone/budget.py.
RESTOREUI_PAGE_TIME_BUDGET = env.get_float("RESTOREUI_PAGE_TIME_BUDGET", 25.0)
# Requests per process that may wait on Pinecone at once: one gunicorn thread
# fewer than there are, so /healthz and cached pages always find one free.
PINECONE_CONCURRENT_CALLS = env.get_int(
    "PINECONE_CONCURRENT_CALLS", max(1, env.get_int("GUNICORN_THREADS", 4, minimum=1) - 1), minimum=1
)
# How long a request waits for one of those slots; a probe may queue behind a few such waits.
# Long enough for a burst of cold pages to take turns (a call takes ~150 ms), short enough
# that /healthz, waiting behind a thread that waits here, still answers within a second.
PINECONE_SLOT_WAIT = env.get_float("PINECONE_SLOT_WAIT", 0.5)
CACHE_TTL_LIST = env.get_float("RESTOREUI_CACHE_TTL_LIST", 5.0)
CACHE_TTL_RUNNING = env.get_float("RESTOREUI_CACHE_TTL_RUNNING", 3.0)
CACHE_TTL_FINISHED = env.get_float("RESTOREUI_CACHE_TTL_FINISHED", 3600.0)
# Backup schedules change rarely: minutes, and dropped on every schedule write.
CACHE_TTL_SCHEDULES = env.get_float("RESTOREUI_CACHE_TTL_SCHEDULES", 600.0)
CACHE_STALE_FOR = env.get_float("RESTOREUI_CACHE_STALE_FOR", 86400.0)
# A list read this long after its lifetime ended is served at once, its refresh run behind the
# answer (stale-while-revalidate); later than that, the viewer waits for a fresh walk. Keep it
# above RESTOREUI_WATCH_INTERVAL plus one walk, so that with the watcher running nobody waits.
CACHE_REVALIDATE_WINDOW = env.get_float("RESTOREUI_CACHE_REVALIDATE_WINDOW", 300.0)
# Threads per process that run those refreshes; more keys than that queue.
CACHE_REFRESH_THREADS = env.get_int("RESTOREUI_CACHE_REFRESH_THREADS", 2, minimum=1)

# Restore history and the watcher. See README "Restore history and the watcher".
RESTOREUI_HISTORY_DAYS = env.get_int("RESTOREUI_HISTORY_DAYS", 400, minimum=1)
RESTOREUI_WATCH_INTERVAL = env.get_float("RESTOREUI_WATCH_INTERVAL", 30.0, minimum=1.0)
# The watcher serves its gauges here (0: not at all), to RESTOREUI_METRICS_TOKEN like /metrics.
RESTOREUI_WATCH_METRICS_PORT = env.get_int("RESTOREUI_WATCH_METRICS_PORT", 9101, maximum=65535)
RESTOREUI_WATCH_METRICS_HOST = env.get("RESTOREUI_WATCH_METRICS_HOST", "0.0.0.0")

# Notifications, sent by the watcher. See README "Notifications".
# The watcher has no request to build links from: this is the site as its users reach it.
RESTOREUI_BASE_URL = (env.get("RESTOREUI_BASE_URL") or ("http://127.0.0.1:8000" if DEMO else "")).rstrip("/")
if RESTOREUI_BASE_URL and not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", RESTOREUI_BASE_URL):
    raise ImproperlyConfigured(
        f"RESTOREUI_BASE_URL={RESTOREUI_BASE_URL!r} must look like https://restoreui.example.com"
    )
if not RESTOREUI_BASE_URL and any(p.notify for p in RESTOREUI_PROJECTS.values()):
    raise ImproperlyConfigured("RESTOREUI_BASE_URL must be set when the projects file names notification targets")
RESTOREUI_NOTIFY_ATTEMPTS = env.get_int("RESTOREUI_NOTIFY_ATTEMPTS", 3, minimum=1, maximum=10)
RESTOREUI_NOTIFY_RETRY_SECONDS = env.get_float("RESTOREUI_NOTIFY_RETRY_SECONDS", 30.0)
RESTOREUI_NOTIFY_TIMEOUT = env.get_float("RESTOREUI_NOTIFY_TIMEOUT", 10.0, minimum=0.1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # Audit lines are JSON objects already; log shippers parse them as they are.
        "bare": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "audit": {"class": "logging.StreamHandler", "formatter": "bare"},
    },
    "root": {"handlers": ["console"], "level": env.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "restoreui.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False},
        # Its debug lines carry request paths, and a webhook's path is its secret.
        "urllib3.connectionpool": {"level": "INFO"},
    },
}
