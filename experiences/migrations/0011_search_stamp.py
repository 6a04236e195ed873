"""A write stamp on every fiche row, for the facet store's incremental refresh.

`search_stamp` holds the id of the transaction that last wrote the row
(`pg_current_xact_id()`, set by a BEFORE INSERT OR UPDATE trigger, so no
write path can forget it). A process's facet store remembers the oldest
transaction still running when it read the table (the snapshot's xmin); after
a write it reads only the rows stamped since then, through the index, instead
of the whole table. The column is the database's own: the model does not
declare it and the application never writes it.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE experiences_experience ADD COLUMN search_stamp bigint NOT NULL DEFAULT 0;
CREATE FUNCTION experiences_stamp_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_stamp := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END $$;
CREATE TRIGGER experiences_experience_stamp BEFORE INSERT OR UPDATE ON experiences_experience
    FOR EACH ROW EXECUTE FUNCTION experiences_stamp_row();
CREATE INDEX experience_search_stamp ON experiences_experience (search_stamp);
-- Statistics at once: without them the planner expects a third of the table and scans all of it.
ANALYZE experiences_experience (search_stamp);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS experiences_experience_stamp ON experiences_experience;
DROP FUNCTION IF EXISTS experiences_stamp_row();
ALTER TABLE experiences_experience DROP COLUMN IF EXISTS search_stamp;
"""


class Migration(migrations.Migration):
    dependencies = [("experiences", "0010_link_tables_key_then_fiche_indexes")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
