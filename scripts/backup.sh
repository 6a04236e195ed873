#!/usr/bin/env bash
# Back up the portal: the database (pg_dump custom format) and the media files
# (uploads, PDF reports) into one timestamped folder with a checksum manifest.
#
#   scripts/backup.sh [--keep N] [BACKUP_ROOT]        (make backup [BACKUP_DIR=...] [KEEP=N])
#
# BACKUP_ROOT defaults to var/backups. The folder is written under a temporary
# name and renamed when complete, so a half-written backup is never mistaken for
# a good one. --keep N deletes all but the N newest backups afterwards.
# The database and media locations come from the Django settings (DATABASE_URL,
# DJANGO_MEDIA_ROOT), like the portal itself: see scripts/pg_env.py.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=""
root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=${2:?--keep needs a number}; shift 2
      [[ $keep =~ ^[1-9][0-9]*$ ]] || { echo "--keep needs a number >= 1" >&2; exit 2; } ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) root=$1; shift ;;
  esac
done
root=${root:-var/backups}

if [ -z "${PY:-}" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=$(command -v python3 || command -v python); fi
fi
eval "$("$PY" scripts/pg_env.py)"
pg_dump=${PG_BIN:+$PG_BIN/}pg_dump

mkdir -p "$root"
name="periscope-$(date -u +%Y%m%dT%H%M%SZ)"
n=1
while [ -e "$root/$name" ]; do name="periscope-$(date -u +%Y%m%dT%H%M%SZ)-$((n++))"; done
tmp="$root/.$name.partial"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

echo "Dumping database $PG_DBNAME"
# Custom format: compressed, restorable table by table, in parallel with pg_restore -j.
"$pg_dump" --format=custom --compress=6 --no-owner --no-privileges --file="$tmp/db.dump" --dbname="$PG_CONNINFO"

echo "Archiving media files from $MEDIA_ROOT"
if [ -d "$MEDIA_ROOT" ]; then
  tar -C "$MEDIA_ROOT" -czf "$tmp/media.tar.gz" .
else
  echo "  (no media folder yet: empty archive)"
  tar -czf "$tmp/media.tar.gz" -T /dev/null
fi

echo "Archiving private files from $PRIVATE_MEDIA_ROOT"
if [ -d "$PRIVATE_MEDIA_ROOT" ]; then
  tar -C "$PRIVATE_MEDIA_ROOT" -czf "$tmp/private.tar.gz" .
else
  tar -czf "$tmp/private.tar.gz" -T /dev/null
fi

{
  echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "database: $PG_DBNAME"
  echo "pg_dump: $("$pg_dump" --version)"
  echo "revision: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$tmp/INFO"
(cd "$tmp" && sha256sum db.dump media.tar.gz private.tar.gz > SHA256SUMS)

mv -T "$tmp" "$root/$name"
trap - EXIT
echo "Backup written to $root/$name ($(du -sh "$root/$name" | cut -f1))"

if [ -n "$keep" ]; then
  # Names sort by date; delete all but the newest $keep complete backups.
  mapfile -t old < <(find "$root" -mindepth 1 -maxdepth 1 -type d -name 'periscope-*' | sort | head -n "-$keep")
  for dir in "${old[@]}"; do
    echo "Removing old backup $dir"
    rm -rf "$dir"
  done
fi
