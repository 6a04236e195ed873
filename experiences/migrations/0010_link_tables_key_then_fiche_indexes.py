"""Indexes (tag_id, experience_id) and (theme_id, experience_id) on the link tables.

"Expériences similaires" takes, for each tag and theme of a fiche, the most
recent fiches sharing it, in index order: a tag on 20 % of 100,000 fiches no
longer means reading and grouping 20,000 link rows for one fiche page.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("experiences", "0009_replace_status_visibility_index")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS experience_tags_tag_fiche ON experiences_experience_tags (tag_id, experience_id)",
            "DROP INDEX IF EXISTS experience_tags_tag_fiche",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS experience_themes_theme_fiche "
            "ON experiences_experience_themes (theme_id, experience_id)",
            "DROP INDEX IF EXISTS experience_themes_theme_fiche",
        ),
    ]
