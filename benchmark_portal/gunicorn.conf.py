"""gunicorn settings for the `web` service (docker-compose.yml) and bench/load.py.

Every value can be overridden from the environment (documented in .env.example).
"""

import multiprocessing
import os
import sys
from pathlib import Path

# The config file is executed before the app is imported: make the project importable
# so gunicorn's own logs use the same JSON formatter as Django's.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.logging import build_logging_config


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# All interfaces inside the container; docker-compose publishes the port on the host loopback.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Django views are mostly CPU-bound on a small box: one process per core plus one
# covers the time spent waiting on PostgreSQL. Threads let a slow client or a slow
# query not hold a whole process.
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak (WeasyPrint, big querysets) cannot grow forever.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Heartbeat files on tmpfs: on an overlay filesystem a blocked fsync can look like a hung worker.
_shm = "/dev/shm"  # noqa: S108 (gunicorn's documented choice, not a temp file of ours)
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or (_shm if os.path.isdir(_shm) else None)
# Trust X-Forwarded-* only from the reverse proxy in front of gunicorn.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Django logs one line per request (core.logging.RequestLogMiddleware) with the
# request id, user and timings: gunicorn's access log would only duplicate it.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("DJANGO_LOG_LEVEL", "INFO").lower()
logconfig_dict = build_logging_config(
    level=os.environ.get("DJANGO_LOG_LEVEL", "INFO"), fmt=os.environ.get("DJANGO_LOG_FORMAT", "json")
)
logconfig_dict["loggers"].update(
    {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    }
)
