"""Fiche vectors for semantic search: pgvector's extension, the table and its HNSW index.

Only where the server has pgvector: elsewhere this migration records the model and
creates nothing (the portal then searches with words only, and `manage.py check`
warns). The state is the same either way; the table comes later through
`manage.py embed_experiences` once pgvector is installed.
"""

import django.db.models.deletion
from django.db import migrations, models

import experiences.semantic.fields


def create_vector_table(apps, schema_editor):
    from experiences.semantic import schema

    schema.install(schema_editor, apps.get_model("experiences", "ExperienceVector"))


def drop_vector_table(apps, schema_editor):
    from experiences.semantic import schema

    schema.uninstall(schema_editor, apps.get_model("experiences", "ExperienceVector"))


class Migration(migrations.Migration):
    dependencies = [
        ("experiences", "0014_alerts_for_members_only"),
    ]

    operations = [
        # The model in the migration state only; the next operation creates its table
        # when it can (RunPython sees the state that includes the model).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExperienceVector",
                    fields=[
                        (
                            "experience",
                            models.OneToOneField(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                primary_key=True,
                                related_name="semantic_vector",
                                serialize=False,
                                to="experiences.experience",
                                verbose_name="expérience",
                            ),
                        ),
                        ("embedding", experiences.semantic.fields.VectorField(dimensions=384)),
                        ("model", models.CharField(max_length=80)),
                        ("text_sha256", models.CharField(max_length=64)),
                        ("tokens", models.PositiveSmallIntegerField(default=0)),
                        ("source_updated_at", models.DateTimeField()),
                        ("computed_at", models.DateTimeField()),
                    ],
                    options={
                        "verbose_name": "vecteur de fiche",
                        "verbose_name_plural": "vecteurs de fiches",
                        "indexes": [
                            experiences.semantic.fields.HnswIndex(
                                ef_construction=64,
                                fields=["embedding"],
                                m=16,
                                name="experience_vector_hnsw",
                                opclasses=["vector_cosine_ops"],
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(create_vector_table, drop_vector_table, elidable=False),
    ]
