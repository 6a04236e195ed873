"""Structured logging: JSON lines, a request id on every request, task context in Celery.

Everything a log line needs to be traced lives in context variables that one
logging filter copies onto each record: the request id (taken from a trusted
``X-Request-ID`` header or generated), the user id once authentication has run,
the Celery task id and name inside a worker, and any field bound with
``log_context(job_id=...)``. The same fields reach a plain-text console in
development and JSON lines in production (``DJANGO_LOG_FORMAT``).

This module is imported by the settings (``build_logging_config``), so it must
not import models or anything that needs Django to be set up at module level.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import inspect
import json
import logging
import logging.config
import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

request_logger = logging.getLogger("periscope.request")
slow_query_logger = logging.getLogger("periscope.db.slow")

REQUEST_ID_HEADER = "X-Request-ID"
# Accept an upstream id (load balancer, client) only if it is short and plain:
# it ends up in every log line and in a response header.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes hit these every few seconds; a successful probe is not worth a line.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("periscope_request_id", default=None)
_request: contextvars.ContextVar[Any] = contextvars.ContextVar("periscope_request", default=None)
_task: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("periscope_task", default=None)
_fields: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("periscope_log_fields", default=None)
_db_stats: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("periscope_db_stats", default=None)

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is emitted.
_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "request_id", "user_id", "task_id", "task_name", "taskName"}
)


def current_request_id() -> str | None:
    """The id of the request (or of the request that enqueued the running task)."""
    return _request_id.get()


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields (``job_id=...``, ``study_id=...``) to every log line emitted inside the block."""
    token = _fields.set({**(_fields.get() or {}), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


def _user_id_of(request: Any) -> int | None:
    """The user id, read without adding a query to the request.

    ``request.user`` is lazy: if neither the view nor a context processor
    evaluated it, the session has not been read either, and logging must not be
    the reason for an extra query. Anonymous requests have no id anyway."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    from django.utils.functional import empty

    if wrapped is empty:
        session = request.__dict__.get("session")
        cache = getattr(session, "_session_cache", None) if session is not None else None
        value = cache.get("_auth_user_id") if isinstance(cache, dict) else None
        return int(value) if value is not None and str(value).isdigit() else None
    return getattr(wrapped, "pk", None)


class ContextFilter(logging.Filter):
    """Copy the request id, user id, task id/name and bound fields onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        if not hasattr(record, "user_id"):
            record.user_id = _user_id_of(_request.get())
        task = _task.get()
        if not hasattr(record, "task_id"):
            record.task_id = task[0] if task else None
        if not hasattr(record, "task_name"):
            record.task_name = task[1] if task else None
        for key, value in (_fields.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "user_id", "task_id", "task_name"):
            value = getattr(record, key, None)
            if value is not None:
                payload[key] = value
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable lines for development, with the same context appended."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = [
            f"{key}={getattr(record, key)}"
            for key in ("request_id", "user_id", "task_id", "task_name")
            if getattr(record, key, None) is not None
        ]
        context += [
            f"{key}={value}"
            for key, value in record.__dict__.items()
            if key not in _RECORD_ATTRS and not key.startswith("_") and key not in ("request_id", "user_id")
        ]
        return f"{line} [{' '.join(context)}]" if context else line


# --- PDF layout progress ----------------------------------------------------------

_render_state = threading.local()
LAYOUT_PAGE_MESSAGE = "Step 5 - Creating layout - Page %d"


class LayoutProgressHandler(logging.Handler):
    """The only handler of `weasyprint.progress`: page N laid out → the current render's `on_page(N)`.

    WeasyPrint logs one INFO line per parsed stylesheet and laid-out page. They
    would flood the logs, so they stop here (no propagation); the page lines
    go to the callback of the render running in this thread, if it set one
    (see `layout_progress` and core.pdf.render_pdf).
    """

    def emit(self, record: logging.LogRecord) -> None:
        callback = getattr(_render_state, "on_page", None)
        if callback is None or record.msg != LAYOUT_PAGE_MESSAGE or not record.args:
            return
        try:
            callback(int(record.args[0]))
        except Exception:  # progress is best effort: never fail a render for it
            logging.getLogger("periscope.pdf").exception("PDF progress callback failed")


@contextlib.contextmanager
def layout_progress(on_page):
    """Within the block, WeasyPrint's laid-out pages in this thread call `on_page(n)`."""
    previous = getattr(_render_state, "on_page", None)
    _render_state.on_page = on_page
    try:
        yield
    finally:
        _render_state.on_page = previous


def build_logging_config(*, level: str = "INFO", fmt: str = "text") -> dict:
    """The LOGGING setting: one console handler, JSON or text, with the context filter."""
    if fmt not in ("json", "text"):
        raise ValueError(f"DJANGO_LOG_FORMAT must be 'json' or 'text', not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "core.logging.ContextFilter"}},
        "formatters": {
            "json": {"()": "core.logging.JSONFormatter"},
            "text": {"()": "core.logging.TextFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["context"]},
            "pdf_progress": {"()": "core.logging.LayoutProgressHandler"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Our request line replaces Django's "Not Found: /..." warnings for 4xx;
            # 5xx still come through django.request with their traceback.
            "django.request": {"level": "ERROR"},
            # WeasyPrint logs one INFO line per parsed stylesheet and laid-out page,
            # three of them at import time (its default stylesheets): none reaches
            # the console; laid-out pages feed the report jobs' progress bars.
            "weasyprint.progress": {"level": "INFO", "propagate": False, "handlers": ["pdf_progress"]},
        },
    }


# --- Requests ----------------------------------------------------------------


class RequestLogMiddleware:
    """Give each request an id, answer with it in ``X-Request-ID``, log one line per request.

    Placed first in MIDDLEWARE so the duration covers the whole stack. The line
    carries method, path, status, duration, user id and the request's database
    time and query count (from the execute wrapper below)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        tokens = (_request_id.set(request_id), _request.set(request), _db_stats.set([0, 0.0]))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration_ms = (time.perf_counter() - started) * 1000
            response[REQUEST_ID_HEADER] = request_id
            self._log(request, response.status_code, duration_ms)
            return response
        finally:
            _db_stats.reset(tokens[2])
            _request.reset(tokens[1])
            _request_id.reset(tokens[0])

    @staticmethod
    def _log(request, status: int, duration_ms: float) -> None:
        if request.path in QUIET_PATHS and status < 400:
            return
        queries, db_ms = _db_stats.get() or (0, 0.0)
        level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        if request.path in QUIET_PATHS:
            level = min(level, logging.WARNING)  # a failing probe is a symptom, not an error
        request_logger.log(
            level,
            "%s %s %s %.1fms",
            request.method,
            request.path,
            status,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round(duration_ms, 1),
                "db_queries": queries,
                "db_ms": round(db_ms, 1),
                "user_id": _user_id_of(request),
            },
        )


# --- Database ----------------------------------------------------------------


_WHITESPACE = re.compile(r"\s+")
_LONG_LIST = re.compile(r"((?:'?-?\d+'?\s*,\s*){5})(?:'?-?\d+'?\s*,\s*)+('?-?\d+'?)")


def sql_summary(sql: str, limit: int = 2000) -> str:
    """A statement as the slow-query log shows it: one line, long lists of ids cut."""
    text = _LONG_LIST.sub(lambda m: f"{m.group(1)}…, {m.group(2)}", _WHITESPACE.sub(" ", sql).strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slow_query_wrapper(execute, sql, params, many, context):
    """Time every query: add it to the request's totals, log it if slower than SLOW_QUERY_MS.

    ``django.db.backends`` logs queries only when DEBUG is on, so production needs
    its own wrapper. Parameters are never logged: they hold user data."""
    from django.conf import settings

    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        stats = _db_stats.get()
        if stats is not None:
            stats[0] += 1
            stats[1] += elapsed_ms
        threshold = getattr(settings, "SLOW_QUERY_MS", None)
        if threshold is not None and threshold >= 0 and elapsed_ms >= threshold:
            slow_query_logger.warning(
                "slow query %.1fms",
                elapsed_ms,
                extra={
                    "duration_ms": round(elapsed_ms, 1),
                    "sql": sql_summary(str(sql)),
                    "db_alias": context["connection"].alias,
                    "many": many,
                },
            )


def install_slow_query_wrapper(sender=None, connection=None, **kwargs) -> None:  # noqa: ARG001 (signal receiver)
    """``connection_created`` receiver: wrap each new connection once."""
    if connection is not None and slow_query_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(slow_query_wrapper)


# --- Celery ------------------------------------------------------------------

TASK_REQUEST_ID_HEADER = "periscope_request_id"


def _on_before_task_publish(headers=None, **kwargs) -> None:  # noqa: ARG001
    """Carry the id of the request that enqueued a task into the task's headers."""
    request_id = _request_id.get()
    if headers is not None and request_id and TASK_REQUEST_ID_HEADER not in headers:
        headers[TASK_REQUEST_ID_HEADER] = request_id


_task_tokens: dict[str, tuple] = {}


def _primary_keys(task, args, kwargs) -> dict[str, Any]:
    """The task's arguments named ``*_id`` (tasks take primary keys: job_id, study_id...)."""
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except (TypeError, ValueError):
        return {}
    return {name: value for name, value in bound.arguments.items() if name.endswith("_id")}


def _on_task_prerun(task_id=None, task=None, args=None, kwargs=None, **extra) -> None:  # noqa: ARG001
    """Bind the task id and name, the enqueuing request's id and the task's ``*_id``
    arguments (so a report job's lines carry ``job_id``) to every line the task logs."""
    request_id = getattr(task.request, TASK_REQUEST_ID_HEADER, None) if task is not None else None
    if request_id is None and task is not None:
        request_id = (getattr(task.request, "headers", None) or {}).get(TASK_REQUEST_ID_HEADER)
    ids = _primary_keys(task, args, kwargs) if task is not None else {}
    _task_tokens[task_id] = (
        _task.set((task_id, getattr(task, "name", ""))),
        # In eager mode the task runs inside the request: keep the request's id.
        _request_id.set(request_id or _request_id.get()),
        _db_stats.set(None),
        _fields.set({**(_fields.get() or {}), **ids}),
    )


def _on_task_postrun(task_id=None, **kwargs) -> None:  # noqa: ARG001
    tokens = _task_tokens.pop(task_id, None)
    if tokens:
        # Reset in reverse order; a token from another context (eager mode inside
        # a request) would raise, so fall back to plain clearing.
        for var, token in zip((_fields, _db_stats, _request_id, _task), reversed(tokens), strict=True):
            try:
                var.reset(token)
            except ValueError:
                var.set(None)


def _on_setup_logging(**kwargs) -> None:  # noqa: ARG001
    """Keep Celery from replacing the root logger: Django's LOGGING already configured it."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def connect_celery_signals() -> None:
    """Wire task context into Celery's signals (called from CoreConfig.ready)."""
    from celery import signals

    signals.before_task_publish.connect(_on_before_task_publish, weak=False, dispatch_uid="periscope_log_publish")
    signals.task_prerun.connect(_on_task_prerun, weak=False, dispatch_uid="periscope_log_prerun")
    signals.task_postrun.connect(_on_task_postrun, weak=False, dispatch_uid="periscope_log_postrun")
    signals.setup_logging.connect(_on_setup_logging, weak=False, dispatch_uid="periscope_log_setup")
