"""Create the vector table where pgvector can be had, and never fail where it cannot.

Used by migration experiences 0012 (with the migration's historical model) and by
`manage.py embed_experiences` (with the current model), so a database that gets
pgvector after its migrations ran gains the table on the next `embed_experiences`.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction

from . import availability

logger = logging.getLogger(__name__)


def install(schema_editor, model) -> bool:
    """CREATE EXTENSION vector and the table of `model` if possible. True when the table exists.

    Skips quietly (a log line, and `manage.py check` warns) when the server has no
    pgvector or the role may not create the extension.
    """
    connection = schema_editor.connection
    status = availability.database_status(connection.alias)
    if status["table"]:
        return True
    if not status["installed"]:
        if not status["available"]:
            logger.warning("pgvector is not installed on this PostgreSQL server: semantic search stays off.")
            return False
        try:
            # A savepoint: a refused CREATE EXTENSION must not break the migration's transaction.
            with transaction.atomic(using=connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except DatabaseError as exc:
            logger.warning("CREATE EXTENSION vector was refused (%s): semantic search stays off.", exc)
            return False
    schema_editor.create_model(model)
    # The foreign key, deleting a fiche's vector with the fiche inside PostgreSQL
    # (the model says db_constraint=False and DO_NOTHING: see models.py).
    table = schema_editor.quote_name(model._meta.db_table)
    fiches = schema_editor.quote_name(model._meta.get_field("experience").related_model._meta.db_table)
    schema_editor.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT experience_vector_experience_fk FOREIGN KEY (experience_id)"
        f" REFERENCES {fiches} (id) ON DELETE CASCADE"
    )
    availability.forget()
    return True


def uninstall(schema_editor, model) -> None:
    """Drop the table (not the extension: other databases of the server may use it)."""
    if availability.database_status(schema_editor.connection.alias)["table"]:
        schema_editor.delete_model(model)
    availability.forget()


def ensure_schema(using: str = "default") -> bool:
    """The table for the current model, created now if pgvector has become available."""
    from django.db import connections

    from .models import ExperienceVector

    if availability.database_status(using)["table"]:
        return True
    with connections[using].schema_editor() as editor:
        return install(editor, ExperienceVector)
