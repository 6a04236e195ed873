from django.db import migrations

# With the tsvector kept inline (STORAGE MAIN), a row stays above the TOAST
# threshold, so PostgreSQL moves every other compressible value of more than a
# TOAST pointer out of line — down to 30-byte facet arrays. Reading them then
# costs a TOAST index lookup per row and per array: the facet counts over tens
# of thousands of matches spent most of their time there. Facet arrays are
# small: keep them inline too. The UPDATE rewrites existing values (an
# unchanged value would keep its TOAST pointer).
FORWARD = """
ALTER TABLE experiences_experience
    ALTER COLUMN search_theme_ids SET STORAGE MAIN,
    ALTER COLUMN search_tag_ids SET STORAGE MAIN,
    ALTER COLUMN search_org_kinds SET STORAGE MAIN;
UPDATE experiences_experience SET
    search_theme_ids = array_cat(search_theme_ids, '{}'::integer[]),
    search_tag_ids = array_cat(search_tag_ids, '{}'::integer[]),
    search_org_kinds = array_cat(search_org_kinds, '{}'::varchar(20)[]);
"""
BACKWARD = """
ALTER TABLE experiences_experience
    ALTER COLUMN search_theme_ids SET STORAGE EXTENDED,
    ALTER COLUMN search_tag_ids SET STORAGE EXTENDED,
    ALTER COLUMN search_org_kinds SET STORAGE EXTENDED;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("experiences", "0007_selection_and_saved_searches"),
    ]

    operations = [migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD)]
