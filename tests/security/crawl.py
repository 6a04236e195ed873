"""Helpers shared by the permission matrix and the canary crawl: fill a route's URL
arguments from an object, decide whether a role may see that object, read any
response (HTML, JSON, CSV, XLSX, PDF) as text."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import quote, urlsplit

from django.db import models
from django.urls import NoReverseMatch, reverse

from .routes import UNKNOWN_VALUES, Route

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


def _value_ok(value, kind: str) -> bool:
    if value is None or value == "":
        return False
    if kind == "int":
        return isinstance(value, int)
    if kind == "slug":
        return isinstance(value, str) and bool(SLUG_RE.match(value))
    return isinstance(value, (int, str)) and "/" not in str(value)


def _attribute(obj, name: str):
    if name in {"pk", "id"}:
        return obj.pk
    field_names = {f.name for f in obj._meta.concrete_fields}
    if name in field_names:
        value = getattr(obj, name)
        return None if isinstance(value, models.Model) else value
    return None


def fill_kwargs(route: Route, obj) -> dict | None:
    """Fill each URL argument from the object itself, else from one of its parents
    (a deliverable's `slug` is its partnership's). None when one cannot be filled."""
    kwargs = {}
    for name, kind in route.kwargs:
        value = _attribute(obj, name)
        if value is None and name.endswith(("_slug", "_pk", "_id")):
            parent_name, attr = name.rsplit("_", 1)
            parent = getattr(obj, parent_name, None)
            if isinstance(parent, models.Model):
                value = _attribute(parent, attr)
        if value is None:
            for field in obj._meta.concrete_fields:
                if field.many_to_one:
                    parent = getattr(obj, field.name, None)
                    if isinstance(parent, models.Model):
                        value = _attribute(parent, name)
                        if value is not None and name in {"pk", "id"}:
                            value = None  # a pk means the object's own
                        if value is not None:
                            break
        if not _value_ok(value, kind):
            return None
        kwargs[name] = value
    return kwargs


def unknown_kwargs(route: Route) -> dict:
    return {name: UNKNOWN_VALUES[kind] for name, kind in route.kwargs}


def build_url(route: Route, kwargs: dict) -> str | None:
    if route.name:
        try:
            return reverse(route.name, kwargs=kwargs or None)
        except NoReverseMatch:
            return None
    text = route.route
    for name, value in kwargs.items():
        text = re.sub(rf"<(?:\w+:)?{name}>", str(value), text)
    return "/" + text if "<" not in text and "(?" not in text else None


def is_visible(obj, user) -> bool:
    """`visible_to` of the object's model, else of its parents; public otherwise."""
    manager = type(obj)._default_manager
    if hasattr(manager, "visible_to"):
        return manager.visible_to(user).filter(pk=obj.pk).exists()
    for field in obj._meta.concrete_fields:
        if field.many_to_one and field.related_model is not None:
            parent = getattr(obj, field.name, None)
            has_rule = isinstance(parent, models.Model) and hasattr(type(parent)._default_manager, "visible_to")
            if has_rule and not is_visible(parent, user):
                return False
    return True


def model_label(obj) -> str:
    return f"{obj._meta.app_label}.{obj._meta.object_name}"


def response_text(response) -> str:
    """Everything a reader could get out of a response, as text."""
    # A streamed answer is closed by the test client once consumed; closing it again
    # would fire request_finished and close the test's database connection.
    raw = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    content_type = response.get("Content-Type", "")
    parts = [raw.decode("utf-8", errors="ignore")]
    if raw[:4] == b"PK\x03\x04":  # XLSX, ODS, DOCX, ZIP
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                for member in archive.namelist():
                    parts.append(archive.read(member).decode("utf-8", errors="ignore"))
        except zipfile.BadZipFile:
            pass
    if raw[:5] == b"%PDF-" or "pdf" in content_type:
        try:
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(raw))
            parts.extend(page.extract_text() or "" for page in reader.pages)
        except Exception:
            pass
    return "\n".join(parts)


def location_path(response) -> str | None:
    location = response.get("Location")
    return urlsplit(location).path if location else None


def strip_echo(text: str, url: str) -> str:
    """Remove the address the reader asked for from a page (the language switch and the
    sign-in link repeat it): echoing the reader's own input is not a leak."""
    path = urlsplit(url).path
    for form in {url, path, quote(path, safe=""), quote(url, safe=""), quote(path, safe="/")}:
        text = text.replace(form, " ")
    return text


def leaks(text: str, forbidden: dict[str, str]) -> list[str]:
    lowered = text.lower()
    return [f"{word!r} ({why})" for word, why in forbidden.items() if word.lower() in lowered]
