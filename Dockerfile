# Périscope: one image for every process of docker-compose.yml (web, workers, beat,
# the one-shot migrate service and scripts/backup.sh).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=benchmark_portal.settings.production

# WeasyPrint renders reports with Pango/HarfBuzz and needs fonts; gettext compiles
# the translations; postgresql-client 15 matches the db service (pg_dump refuses
# to dump a newer server) for scripts/backup.sh and scripts/restore.sh.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
       fonts-dejavu-core fonts-liberation2 gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 --shell /usr/sbin/nologin periscope

WORKDIR /app

# Dependencies first, in their own layer: pyproject.toml declares no package, so
# this installs the requirements only and is rebuilt only when they change.
COPY pyproject.toml ./
RUN pip install .

COPY . .
# collectstatic and compilemessages load the production settings, which refuse to
# start without their secrets: placeholders here, in this RUN only (never ENV, so
# none reaches the image). A dummy DATABASE_URL keeps the settings from starting
# the embedded PostgreSQL used in development; no connection is made.
RUN export DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost PORTAL_BASE_URL=http://localhost \
       DATABASE_URL=postgres://build@localhost/build \
       DJANGO_EMAIL_HOST=localhost DJANGO_EMAIL_USER= DJANGO_EMAIL_PASSWORD= \
    && python manage.py collectstatic --noinput -v 0 \
    && python manage.py compilemessages -v 0 \
    && mkdir -p var/media var/private var/backups \
    && chown -R periscope:periscope var

USER periscope
EXPOSE 8000
CMD ["gunicorn", "-c", "benchmark_portal/gunicorn.conf.py", "benchmark_portal.wsgi"]
