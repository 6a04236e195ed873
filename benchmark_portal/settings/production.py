"""Production settings: every secret must come from the environment."""

from .base import *  # noqa: F403
from .base import build_logging_config, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: refuse to start without it
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# Links in e-mails and the `url` column of exports: a default would send readers to 127.0.0.1.
PORTAL_BASE_URL = env("PORTAL_BASE_URL").rstrip("/")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# Cookies also under the __Host- prefix rules: HTTPS only, no Domain attribute.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- API: JSON only unless DJANGO_API_BROWSABLE=true (the browsable API renders HTML
# forms for every call: a cost and a surface production does not need).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if env.bool("DJANGO_API_BROWSABLE", default=False) else []),
    ],
}

# --- E-mail (password resets, invitations, reminders): a real SMTP relay, and its
# credentials from the environment with no default (set them empty for a relay
# that needs none).
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env("DJANGO_EMAIL_HOST"),
            "port": env.int("DJANGO_EMAIL_PORT", default=587),
            "username": env.str("DJANGO_EMAIL_USER"),
            "password": env.str("DJANGO_EMAIL_PASSWORD"),
            "use_tls": env.bool("DJANGO_EMAIL_USE_TLS", default=True),
            "timeout": 10,
        },
    }
}

# --- Deployment (docker-compose.yml): static files, JSON logs -----------------
# gunicorn serves static files through WhiteNoise (hashed names, compressed, cached
# for a year); `runserver` serves them itself in development.
_after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1  # noqa: F405
MIDDLEWARE = [
    *MIDDLEWARE[:_after_security],  # noqa: F405
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[_after_security:],  # noqa: F405
]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "benchmark_portal.staticfiles.StaticFilesStorage"},
}
LOGGING = build_logging_config(
    level=env("DJANGO_LOG_LEVEL", default="INFO"),
    fmt=env("DJANGO_LOG_FORMAT", default="json"),
)
