#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh: the database, the media files and the
# private files (attachments, partnership files, reports).
#
#   scripts/restore.sh BACKUP_FOLDER [--yes] [--database-url URL] [--media-root DIR] [--private-root DIR] [--no-media]
#   make restore BACKUP=var/backups/periscope-20261124T101500Z [CONFIRM=yes]
#
# DESTRUCTIVE: the target database's tables are dropped and recreated from the
# dump, and the media folder is emptied and refilled from the archive. Stop the
# web and worker processes first. Without --yes it asks you to type the database
# name (and refuses when not run from a terminal).
# The target is the portal's own database and media folder (settings), unless
# --database-url (a postgres:// URL or libpq connection string) and --media-root
# point elsewhere, e.g. to check a backup in a scratch database. With --media-root
# and no --private-root, private files are not restored (they would land in the
# portal's own private folder).
set -euo pipefail
cd "$(dirname "$0")/.."

backup=""
yes=""
target_url=""
media_root=""
private_root=""
restore_media=1
while [ $# -gt 0 ]; do
  case "$1" in
    --yes|-y) yes=1; shift ;;
    --database-url) target_url=${2:?--database-url needs a value}; shift 2 ;;
    --media-root) media_root=${2:?--media-root needs a value}; shift 2 ;;
    --private-root) private_root=${2:?--private-root needs a value}; shift 2 ;;
    --no-media) restore_media=""; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) backup=$1; shift ;;
  esac
done
if [ -z "$backup" ] || [ ! -f "$backup/db.dump" ]; then
  echo "Usage: $0 BACKUP_FOLDER [--yes] [--database-url URL] [--media-root DIR] [--no-media]" >&2
  echo "(a folder written by scripts/backup.sh, holding db.dump and media.tar.gz)" >&2
  exit 2
fi

echo "Checking $backup/SHA256SUMS"
(cd "$backup" && sha256sum --quiet -c SHA256SUMS)

if [ -z "${PY:-}" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=$(command -v python3 || command -v python); fi
fi
eval "$("$PY" scripts/pg_env.py)"
pg_restore=${PG_BIN:+$PG_BIN/}pg_restore
target=${target_url:-$PG_CONNINFO}
if [ -n "$target_url" ]; then target_name="the database given by --database-url"; else target_name="'$PG_DBNAME'"; fi
if [ -z "$private_root" ] && [ -z "$media_root" ]; then private_root=$PRIVATE_MEDIA_ROOT; fi
media_root=${media_root:-$MEDIA_ROOT}

if [ -z "$yes" ]; then
  if [ ! -t 0 ]; then
    echo "Refusing to overwrite $target_name without --yes (or CONFIRM=yes with make)." >&2
    exit 2
  fi
  echo "This replaces every table of $target_name${restore_media:+ and every file under $media_root}."
  read -r -p "Type the database name ($PG_DBNAME) or 'yes' for another target to continue: " answer
  if [ "$answer" != "$PG_DBNAME" ] && { [ -z "$target_url" ] || [ "$answer" != "yes" ]; }; then
    echo "Aborted." >&2
    exit 1
  fi
fi

echo "Restoring the database"
# One transaction: a failed restore leaves the database as it was.
"$pg_restore" --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname="$target" "$backup/db.dump"

if [ -n "$restore_media" ]; then
  echo "Restoring media files into $media_root"
  mkdir -p "$media_root"
  # Extract next to the files first: a corrupt archive fails before anything is deleted.
  staging="$media_root/.restore-$$"
  mkdir "$staging"
  trap 'rm -rf "$staging"' EXIT
  tar -C "$staging" -xzf "$backup/media.tar.gz"
  find "$media_root" -mindepth 1 -maxdepth 1 ! -path "$staging" -exec rm -rf {} +
  find "$staging" -mindepth 1 -maxdepth 1 -exec mv -t "$media_root" {} +
  rm -rf "$staging"
  trap - EXIT
  if [ -n "$private_root" ] && [ -f "$backup/private.tar.gz" ]; then
    echo "Restoring private files into $private_root"
    mkdir -p "$private_root"
    staging="$private_root/.restore-$$"
    mkdir "$staging"
    trap 'rm -rf "$staging"' EXIT
    tar -C "$staging" -xzf "$backup/private.tar.gz"
    find "$private_root" -mindepth 1 -maxdepth 1 ! -path "$staging" -exec rm -rf {} +
    find "$staging" -mindepth 1 -maxdepth 1 -exec mv -t "$private_root" {} +
  fi
fi
echo "Restore complete."
