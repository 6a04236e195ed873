"""`manage.py migrate` and `manage.py check --database default` say when semantic search
cannot run, and why.

A database check, by Django's rule: it connects only to the databases it is given
(`databases`), which `migrate` and `check --database` pass; a plain `manage.py check`
(and `check --deploy` in an image build) never connects.
"""

from __future__ import annotations

from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError

from . import availability

W001 = "experiences.W001"


@register(Tags.database)
def semantic_search_check(app_configs=None, databases=None, **kwargs) -> list:  # noqa: ARG001 - a check's signature
    if not availability.enabled() or not databases or "default" not in databases:
        return []
    try:
        status = availability.database_status()
    except DatabaseError:
        return []  # no database reachable: other checks and commands say so
    if status["table"]:
        return []
    if not status["available"]:
        why = "this PostgreSQL server has no pgvector extension"
        hint = (
            "Install pgvector on the server (docker-compose's image has it; the embedded PostgreSQL "
            "of `make run` too), then run `manage.py embed_experiences --all`. Or set SEMANTIC_SEARCH=off "
            "to silence this warning."
        )
    elif not status["installed"]:
        why = "pgvector is available but the extension could not be created (CREATE EXTENSION vector needs a superuser)"
        hint = (
            "Run `CREATE EXTENSION vector;` as a superuser in this database, then `manage.py embed_experiences --all`."
        )
    else:
        why = "the vector table is missing"
        hint = "Run `manage.py embed_experiences --all`: it creates the table, then computes the vectors."
    return [
        CheckWarning(
            f"Semantic search is off: {why}. Search works with words only (no cross-language "
            "search, no similar-meaning fiches, no duplicate warnings, no theme suggestions from fiches).",
            hint=hint,
            id=W001,
        )
    ]
