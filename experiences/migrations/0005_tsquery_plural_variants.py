from django.db import migrations

# Snowball's French stemmer leaves some plurals apart from their singular:
# "vélos" -> 'velos' but "vélo" -> 'velo'; "lieux" -> 'lieux' but "lieu" -> 'lieu'.
# The query side bridges them: every lexeme also matches its form with or
# without a final s, and every -eu/-eux lexeme the other one. The index is
# untouched (no reindex), and a query "vélo" finds "vélos" and the reverse.
REPLACE = r"""
CREATE OR REPLACE FUNCTION periscope_tsquery(text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT regexp_replace(
        regexp_replace(
            websearch_to_tsquery('periscope_fr', $1)::text, '''([^'' ]+?)s?''', '( ''\1'' | ''\1s'' )', 'g'
        ),
        '''([^'' ]*eu)x?''', '( ''\1'' | ''\1x'' )', 'g'
    )::tsquery
$$;
"""

PREVIOUS = r"""
CREATE OR REPLACE FUNCTION periscope_tsquery(text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT regexp_replace(
        websearch_to_tsquery('periscope_fr', $1)::text, '''([^'' ]*eu)x?''', '( ''\1'' | ''\1x'' )', 'g'
    )::tsquery
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("experiences", "0004_search_columns_and_french_config"),
    ]

    operations = [migrations.RunSQL(sql=REPLACE, reverse_sql=PREVIOUS)]
