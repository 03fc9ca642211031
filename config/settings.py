"""One settings module, read from the environment, with an embedded default.

No variable set: SQLite under ``var/``, the in-memory channel layer, Celery running tasks
eagerly in-process, a local-memory cache. ``DATABASE_URL`` switches to PostgreSQL;
``REDIS_URL`` switches the channel layer, the Celery broker and result store, and the
cache to Redis together. Every variable read here is listed in ``.env.example``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

logger = logging.getLogger("config")


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_str(name: str, default: str) -> str:
    """The variable's value, or the default when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


DATA_DIR = Path(os.environ.get("DATA_DIR") or BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
REDIS_URL = os.environ.get("REDIS_URL", "").strip()


def _secret_key() -> str:
    """The secret from ``SECRET_KEY``, else one generated once and kept under ``var/``.

    A real deployment with several nodes must set ``SECRET_KEY`` so that they agree; the
    embedded default (one process, one machine) keeps its own random key on disk.
    """
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        if len(key) < 32 and not DEBUG:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters")
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


try:
    SECRET_KEY = _secret_key()
except FileExistsError:  # another process created it between our check and open
    SECRET_KEY = (DATA_DIR / "secret_key").read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "accounts.apps.PlatformAdminConfig",  # django.contrib.admin, for platform administrators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",  # the OpenAPI schema of the REST API, /api/schema/ and /api/docs/
    "drf_spectacular_sidecar",  # Swagger UI's files, served by the site itself (no CDN)
    "csp",
    "accounts",
    "itembank",
    "assess",
    "proctoring",
    "jobs",
    "results",
    "records",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # outermost but one: every response gets the policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.SessionIdleMiddleware",
    "config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.parameters.MalformedParameterMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            # With the pool (below), the pool checks a connection as it hands it out (an empty
            # query): after a PostgreSQL restart its dead connections are replaced instead of
            # failing one request each (bench/drills, postgres-restart). Answers do not pay it:
            # they go in groups on connections of their own (assess/answer_batch.py).
            conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
        )
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "db.sqlite3"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
    # A bounded pool of connections per process (psycopg_pool, Django's own pooling), for
    # websocket and HTTP work alike: a thread takes a connection for one unit of work (a
    # request, a consumer's call) and gives it back. Without it every thread an ASGI server
    # runs requests on kept a connection of its own for CONN_MAX_AGE, and two Daphne
    # processes under load reached PostgreSQL's max_connections. The bound per process is
    # DB_POOL_MAX_SIZE; docs/operations.md adds them up against max_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2, minimum=0),
        "max_size": env_int("DB_POOL_MAX_SIZE", 12, minimum=1),
        # A thread waits this long for a free connection before its work fails (and the
        # client's message is answered with server_error, to be sent again).
        "timeout": env_int("DB_POOL_TIMEOUT", 20, minimum=1),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads of one Daphne process write: wait for the lock, do not fail.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # WAL lets the exam server and the scorer read while another process writes.
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL;")
    # Async and browser tests share the test database with a server process: keep it on disk.
    # One file per test run, so that runs side by side do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test_db_{os.getpid()}.sqlite3")}
DATABASE_MODE = "postgresql" if "postgresql" in DATABASES["default"]["ENGINE"] else "sqlite"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- channels, celery, cache ------------------------------------------------------------
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
DEADLINE_SWEEP_SECONDS = env_int("DEADLINE_SWEEP_SECONDS", 10, minimum=1)
# How long a script stays on a marker's desk (no other marker gets it) before it goes back
# to the queue (results.marking).
MARKING_CLAIM_MINUTES = env_int("MARKING_CLAIM_MINUTES", 20, minimum=1)
# Days after its publication during which a candidate may appeal a result (phúc khảo). The
# regulations' figure is unconfirmed: set it to the exam board's rule.
APPEAL_DAYS = env_int("APPEAL_DAYS", 10, minimum=1)
# School records by Circular 22 (records.services). How many continuous assessments a
# semester a subject takes by its periods a year, (most periods, count) with a last catch-all
# (None): 2 up to 35 periods, 3 up to 70, 4 above (*unconfirmed*: the school board's rule).
RECORDS_CONTINUOUS_COUNTS = ((35, 2), (70, 3), (None, 4))
# A subject no rule of its school or department names: assessed by score, this many periods.
RECORDS_DEFAULT_PERIODS = env_int("RECORDS_DEFAULT_PERIODS", 70, minimum=1)
# The result levels' thresholds: scoring.grades.Policy's fields, empty for Circular 22's own.
RECORDS_LEVEL_POLICY: dict[str, object] = {}
# Primary school (Circular 27, grades 1 to 5): scoring.grades.PrimaryPolicy's fields.
RECORDS_PRIMARY_GRADES = (1, 2, 3, 4, 5)
RECORDS_PRIMARY_POLICY: dict[str, object] = {}
# Transcripts (records.transcripts): the secret the schools' signing keys are encrypted with;
# the site's SECRET_KEY when unset. Keep it apart from the database's backups: with both, a
# copy could sign transcripts.
TRANSCRIPT_KEY_SECRET = env_str("TRANSCRIPT_KEY_SECRET", "")
# Calibration of a sitting back into the bank (results.calibration): the fewest candidates a
# calibration takes, the fewest responses an item needs to be calibrated, the fewest anchors
# (items with bank parameters) that put the sitting on the bank's scale, and the range of
# infit/outfit mean squares an item may have without a flag.
CALIBRATION_MIN_PERSONS = env_int("CALIBRATION_MIN_PERSONS", 200, minimum=10)
CALIBRATION_MIN_RESPONSES = env_int("CALIBRATION_MIN_RESPONSES", 100, minimum=10)
CALIBRATION_MIN_ANCHORS = env_int("CALIBRATION_MIN_ANCHORS", 5, minimum=1)
CALIBRATION_FIT_RANGE = (0.7, 1.3)
# Submitted attempts still without a result this long after their last change lost their
# scoring task (a worker killed mid-task, a broker down at submit): the sweep queues it again.
SCORING_SWEEP_SECONDS = env_int("SCORING_SWEEP_SECONDS", 60, minimum=1)
SCORING_SWEEP_GRACE_SECONDS = env_int("SCORING_SWEEP_GRACE_SECONDS", 120, minimum=1)
# Scoring a whole sitting (assess.scoring_runs): attempts per chunk (one Celery task each, so
# that the workers share a sitting); how long a worker holds a chunk before the sweep may give
# it to another (longer than a task may run: CELERY_TASK_TIME_LIMIT); seconds between sweeps
# (stranded chunks, runs to finish, exam sittings that closed and want scoring).
SCORING_CHUNK_SIZE = env_int("SCORING_CHUNK_SIZE", 2000, minimum=1)
SCORING_CHUNK_LEASE_SECONDS = env_int("SCORING_CHUNK_LEASE_SECONDS", 180, minimum=1)
SCORING_RUN_SWEEP_SECONDS = env_int("SCORING_RUN_SWEEP_SECONDS", 30, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "submit-expired-attempts": {
        "task": "assess.tasks.attempts_submit_expired_task",
        "schedule": float(DEADLINE_SWEEP_SECONDS),
    },
    "score-stranded-attempts": {
        "task": "assess.tasks.attempts_score_stranded_task",
        "schedule": float(SCORING_SWEEP_SECONDS),
    },
    "sweep-scoring-runs": {
        "task": "assess.tasks.scoring_runs_sweep_task",
        "schedule": float(SCORING_RUN_SWEEP_SECONDS),
    },
}

if REDIS_URL:
    RUNTIME_MODE = "services"
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "config.channel_layer.BoundedRedisChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults: a 5 s socket timeout that drops idle consumers and a
                # 100-connection pool that fails when it runs dry (FIELD-NOTES). Here: no socket
                # timeout, and a pool of at most REDIS_MAX_CONNECTIONS per process that makes a
                # burst wait for a free connection (config/channel_layer.py).
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "max_connections": env_int("REDIS_MAX_CONNECTIONS", 200, minimum=4),
                        "pool_timeout": env_int("REDIS_POOL_TIMEOUT", 30, minimum=1),
                    }
                ],
                "prefix": env_str("CHANNEL_PREFIX", "asgi"),
                # A server process's consumers share one inbox in Redis, and a message beyond
                # its capacity is dropped without a word: with 1,000 a room-by-room release of
                # 5,000 candidates lost the pushed state of half of them (bench/RESULTS.md).
                # Messages older than ``expiry`` seconds are dropped anyway.
                "capacity": env_int("CHANNEL_CAPACITY", 50_000, minimum=100),
                "expiry": 60,
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {
            # Django's Redis cache, its pools shared by every thread and context of the
            # process (config/cache.py): one connection per call before.
            "BACKEND": "config.cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    RUNTIME_MODE = "embedded"
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# In the embedded default no Celery beat runs: the ASGI application does beat's periodic work
# itself (deadlines, abandoned import uploads: config.asgi.EmbeddedBeat).
EMBEDDED_DEADLINE_SWEEPER = not REDIS_URL

# --- delivery -------------------------------------------------------------------------
# Threads (each with its own database connection) a server process uses for exam traffic.
DB_THREADS = env_int("DB_THREADS", 16, minimum=1)
# CPython's garbage collector thresholds in server processes (config/asgi.py), three
# comma-separated numbers (CPython's defaults are 700,10,10). With 10,000 connections the
# defaults' collections paused a process for up to seconds: p99 3.2 s at one answer every 10 s
# each, against 475 ms with 100000,50,1000, with the memory flat over a four-minute soak
# (bench/RESULTS.md, the garbage collector).
try:
    GC_THRESHOLDS = tuple(int(n) for n in env_str("GC_THRESHOLDS", "100000,50,1000").split(","))
except ValueError:
    GC_THRESHOLDS = ()
if len(GC_THRESHOLDS) != 3 or min(GC_THRESHOLDS) < 1:
    raise ImproperlyConfigured("GC_THRESHOLDS must be three positive numbers, e.g. 50000,20,100")
# The server (python -m config.serve): listen backlog, and seconds Daphne waits for the
# application to accept a websocket before dropping it (its own default is 5).
SERVE_BACKLOG = env_int("SERVE_BACKLOG", 4096, minimum=16)
WS_HANDSHAKE_TIMEOUT = env_int("WS_HANDSHAKE_TIMEOUT", 60, minimum=1)
# On PostgreSQL, answers are committed in groups on the event loop (assess/answer_batch.py):
# at most DELIVERY_WRITERS statements at a time per process, each on a connection of its own,
# each holding at most DELIVERY_GROUP_MAX answers. 0 turns it off (every answer then takes
# the worker threads' path).
DELIVERY_GROUP_COMMIT = env_bool("DELIVERY_GROUP_COMMIT", True)
DELIVERY_WRITERS = env_int("DELIVERY_WRITERS", 2, minimum=1)
DELIVERY_GROUP_MAX = env_int("DELIVERY_GROUP_MAX", 200, minimum=1)
# Largest websocket frame the exam consumer accepts, in bytes.
WS_MAX_MESSAGE_BYTES = env_int("WS_MAX_MESSAGE_BYTES", 65_536, minimum=1024)  # an essay of 20,000 characters
# How often the server pushes the remaining time to a connected student, in seconds.
WS_TIME_PUSH_SECONDS = env_int("WS_TIME_PUSH_SECONDS", 30, minimum=1)
# Live consoles (assess/events.py): how often a server process re-reads which consoles are
# open (a console waits this long before its snapshot), and how long it gathers candidates'
# answers before sending them to a console as one message, in milliseconds.
CONSOLE_WATCH_REFRESH_SECONDS = env_int("CONSOLE_WATCH_REFRESH_MS", 1000) / 1000
CONSOLE_BATCH_SECONDS = env_int("CONSOLE_BATCH_MS", 200) / 1000
# Learner identifiers (Circular 42/2021) are opaque strings; the format is configurable.
LEARNER_ID_PATTERN = env_str("LEARNER_ID_PATTERN", r"^[0-9A-Za-z]{6,20}$")

# --- answer history (issue 8) -----------------------------------------------------------
# Most changes (answers and flags) one attempt's history may hold; further ones are refused
# with `history_full`. An essay autosaved every 2 s for three hours is 5,400.
ATTEMPT_HISTORY_MAX_EVENTS = env_int("ATTEMPT_HISTORY_MAX_EVENTS", 20_000, minimum=1)

# --- import uploads (itembank.uploads) ---------------------------------------------------
# An uploaded import file nobody imports is deleted this many seconds after its upload.
IMPORT_UPLOAD_MAX_AGE_SECONDS = env_int("IMPORT_UPLOAD_MAX_AGE_SECONDS", 24 * 3600, minimum=1)
# Seconds between sweeps deleting such files (Celery beat, or the embedded server).
IMPORT_UPLOAD_SWEEP_SECONDS = env_int("IMPORT_UPLOAD_SWEEP_SECONDS", 3600, minimum=1)
# Per person: files kept waiting for their import, and their bytes together.
IMPORT_MAX_PENDING_UPLOADS = env_int("IMPORT_MAX_PENDING_UPLOADS", 5, minimum=1)
IMPORT_MAX_PENDING_BYTES = env_int("IMPORT_MAX_PENDING_BYTES", 200 * 1024 * 1024, minimum=1024)
# --- jobs (jobs.services) -------------------------------------------------------------------
# A file a job made (an export) is kept this many seconds after the job ends, then deleted by
# the same sweep schedule as import uploads.
JOB_FILE_MAX_AGE_SECONDS = env_int("JOB_FILE_MAX_AGE_SECONDS", 24 * 3600, minimum=1)
CELERY_BEAT_SCHEDULE["release-assignment-results"] = {
    "task": "assess.tasks.sittings_release_due_task",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["sweep-import-uploads"] = {
    "task": "itembank.tasks.import_uploads_sweep_task",
    "schedule": float(IMPORT_UPLOAD_SWEEP_SECONDS),
}
CELERY_BEAT_SCHEDULE["sweep-job-files"] = {
    "task": "jobs.tasks.jobs_sweep_task",
    "schedule": float(IMPORT_UPLOAD_SWEEP_SECONDS),
}

# --- websocket limits and sessions on shared PCs --------------------------------------
# A student's exam connections share a token bucket (assess/ratelimit.py, docs/protocol.md
# "Rate limit"): every frame costs a token, a `sync`, a `start` and opening a connection cost
# WS_RATE_STATE_COST; tokens come back at WS_RATE_PER_SECOND up to WS_RATE_BURST.
WS_RATE_BURST = env_int("WS_RATE_BURST", 120, minimum=20)
WS_RATE_PER_SECOND = env_int("WS_RATE_PER_SECOND", 5, minimum=1)
WS_RATE_STATE_COST = env_int("WS_RATE_STATE_COST", 10, minimum=1)
if WS_RATE_STATE_COST * 2 > WS_RATE_BURST:
    raise ImproperlyConfigured("WS_RATE_STATE_COST must be at most half of WS_RATE_BURST")
# A websocket's socket is read no faster than its consumer takes the frames: reading pauses
# while WS_READ_HIGH_WATER frames wait unread (config/websocket_transport.py).
WS_READ_HIGH_WATER = env_int("WS_READ_HIGH_WATER", 32, minimum=1)
# Sessions end when the browser closes (no expiry date on the cookie) and after
# SESSION_IDLE_SECONDS without a request or an open websocket; activity is written into the
# session at most once per SESSION_ACTIVITY_SECONDS (accounts/sessions.py).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=120)
SESSION_ACTIVITY_SECONDS = env_int("SESSION_ACTIVITY_SECONDS", 60, minimum=1)
if SESSION_ACTIVITY_SECONDS * 2 > SESSION_IDLE_SECONDS:
    raise ImproperlyConfigured("SESSION_ACTIVITY_SECONDS must be at most half of SESSION_IDLE_SECONDS")
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS  # the stored session's lifetime from its last save

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
# Bank media (images, audio) are files under MEDIA_ROOT, served only through /media/<id>/
# (itembank.views.media), never as a public folder.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or DATA_DIR / "media")
MEDIA_IMAGE_MAX_BYTES = env_int("MEDIA_IMAGE_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
MEDIA_AUDIO_MAX_BYTES = env_int("MEDIA_AUDIO_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# Students' photos for check-in (accounts.photos): the largest upload accepted; what is kept is
# re-encoded much smaller (a JPEG of at most 600 px on its long side).
PHOTO_MAX_BYTES = 5 * 1024 * 1024
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders: no collectstatic needed for `make run`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- content security policy and HSTS (django-csp; Django's SecurityMiddleware) ----------
# Every page loads only the site's own scripts, styles, images, sound and connections (the
# exam websocket included): no inline script or style attribute, no plugin, no framing, and
# forms post only to the site. Item text is held to the same by itembank.richtext; a bank
# media file is served with its own stricter policy (itembank.views.media).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Strict-Transport-Security on every HTTPS response (a request is HTTPS when it came over TLS,
# or through the TLS proxy with BEHIND_TLS_PROXY=1 and X-Forwarded-Proto: https); never over
# plain HTTP, where browsers would ignore it. Seconds a browser then refuses plain HTTP for the
# site (one year; 0 turns it off).
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600)
# 1: every subdomain of the site's host too (only when all of them are served over HTTPS).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)

# --- logins and passwords (accounts/throttle.py, accounts/hashers.py, docs/security.md) -------
# Every door that checks a password goes through accounts.backends.ThrottledModelBackend:
# it refuses a locked account or an address over its budget before any hash is computed.
# Django's ModelBackend stays listed only so that sessions made before the throttle existed
# stay valid; it never checks a password, since the throttled backend answers every attempt
# itself (a user, or PermissionDenied, which stops Django from asking further backends).
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend", "django.contrib.auth.backends.ModelBackend"]
# Consecutive wrong passwords (within LOGIN_FAILURE_WINDOW_SECONDS) that lock an account.
LOGIN_LOCK_FAILURES = env_int("LOGIN_LOCK_FAILURES", 10, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 3600, minimum=1)
# How long a lock lasts unless a proctor or an administrator lifts it; 0: until one does.
LOGIN_LOCK_SECONDS = env_int("LOGIN_LOCK_SECONDS", 900, minimum=0)
# Wrong passwords one client address may send: a burst, then so many per minute. Sized for a
# school of 1,000 behind one NAT address logging in within minutes, some mistyping.
LOGIN_ADDRESS_BURST = env_int("LOGIN_ADDRESS_BURST", 300, minimum=1)
LOGIN_ADDRESS_PER_MINUTE = env_int("LOGIN_ADDRESS_PER_MINUTE", 60, minimum=1)
# A person who logged in from an address within so many days is not held back by that
# address's budget (another student of the lab spraying passwords cannot lock them out).
LOGIN_KNOWN_ADDRESS_DAYS = env_int("LOGIN_KNOWN_ADDRESS_DAYS", 30, minimum=0)
# Argon2id with OWASP's parameters first (new and upgraded hashes); PBKDF2 reads older ones.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10, minimum=8)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.VietnameseCommonPasswordValidator"},
]

# --- metrics (config/metrics.py, GET /metrics; docs/operations.md) --------------------------
# Prometheus scrapes /metrics from an address of these networks (CIDRs, comma separated), or
# with "Authorization: Bearer <METRICS_TOKEN>" when a token is set; anyone else gets 403. The
# address is the one Daphne reports: behind the proxy (--proxy-headers), X-Forwarded-For's.
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network)
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from exc
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters")
# Where every process of the node writes its metrics (prometheus_client reads the variable
# itself; emptied at node start). Unset: each process serves its own.
METRICS_MULTIPROCESS_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["config.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    # "format" is a parameter of the bank's import and export calls, not a renderer override.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
}

# The OpenAPI 3 schema of the REST API, generated from the views and their serializers
# (drf-spectacular): /api/schema/ (YAML, or JSON with ?format=json) and the Swagger UI page
# /api/docs/, for logged-in staff (docs/security.md). `manage.py spectacular --validate
# --fail-on-warn` must pass; tests/config/test_api_fuzz.py fuzzes the API from it.
SPECTACULAR_SETTINGS = {
    "TITLE": "Assessment engine API",
    "DESCRIPTION": (
        "REST API of the assessment engine: the item bank, assessments, forms and test codes, "
        "sittings, classes and rosters, logins. Session cookie authentication; every non-GET "
        "request of a logged-in person sends the X-CSRFToken header. Errors have one shape: "
        '{"error": {"code", "message", "fields"}}. The exam websocket is described in '
        "docs/protocol.md."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["accounts.permissions.IsSchemaReader"],
    "SCHEMA_PATH_PREFIX": "/api/",
    # Request bodies get components of their own (ItemRequest), apart from answers (Item).
    "COMPONENT_SPLIT_REQUEST": True,
    # `<id:...>` in a route (config/ids.py): 1 to 18 digits.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}},
    # One name for each set of choices several fields share.
    "ENUM_NAME_OVERRIDES": {
        "ItemTypeEnum": "itembank.models.ItemType",
        "PartItemTypeEnum": "assess.authoring_api.PART_ITEM_TYPES",
        "VersionStatusEnum": "itembank.models.ItemVersion.Status",
        "StimulusKindEnum": "itembank.models.Stimulus.Kind",
        "TopicKindEnum": "itembank.models.Topic.Kind",
        "AttemptStatusEnum": "assess.statuses.ALL",
        "AssessmentKindEnum": "assess.models.Assessment.Kind",
        "SittingKindEnum": "assess.models.Sitting.Kind",
        "FeedbackDetailEnum": "assess.models.Sitting.FeedbackDetail",
        "ScriptStatusEnum": "results.models.Script.Status",
        "ModerationKindEnum": "results.models.ModerationChange.Kind",
        "ModerationStatusEnum": "results.models.ModerationChange.Status",
        "PublicationStatusEnum": "results.models.Publication.Status",
        "AppealStatusEnum": "results.models.Appeal.Status",
        "CalibrationModelEnum": "results.models.Calibration.Model",
        "CalibrationStatusEnum": "results.models.Calibration.Status",
        "CalibrationRoleEnum": "results.calibration.ROLES",
        "RoleEnum": "accounts.models.Role",
        "DifByEnum": "results.dif.BY",
        "AspectEnum": "records.primary.ASPECT_CODES",
        "RecordSourceEnum": "assess.models.RecordEntry.Source",
        "RecordCommentEnum": "assess.models.RecordEntry.Comment",
        "SubjectRuleModeEnum": "records.models.SubjectRule.Mode",
        "RecordEventKindEnum": "records.models.RecordEvent.Kind",
    },
    # Swagger UI and its favicon from drf-spectacular-sidecar, served as the site's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "tryItOutEnabled": False},
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django": {"level": LOG_LEVEL if LOG_LEVEL != "DEBUG" else "INFO"}},
}


# One line naming the active runtime mode, logged when a server or worker process starts.
RUNTIME_DESCRIPTION = (
    f"mode={RUNTIME_MODE} database={DATABASE_MODE} "
    f"channel_layer={'redis' if REDIS_URL else 'in-memory'} "
    f"celery={'broker' if REDIS_URL else 'eager'} "
    f"metrics={'multiprocess' if METRICS_MULTIPROCESS_DIR else 'process'} debug={DEBUG}"
)
