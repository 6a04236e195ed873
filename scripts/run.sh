#!/usr/bin/env bash
# Start the portal: a Celery worker when a broker is reachable, then the web server.
set -euo pipefail
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
PY=.venv/bin/python
worker_pid=""
broker=${CELERY_BROKER_URL:-}
if [ -z "$broker" ] && (echo > /dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  broker=redis://127.0.0.1:6379/0
fi
if [ -n "$broker" ]; then
  export CELERY_BROKER_URL=$broker CELERY_RESULT_BACKEND=${CELERY_RESULT_BACKEND:-$broker}
  echo "Starting a Celery worker with the beat scheduler on $broker (queues default, reports; log in var/worker.log)"
  .venv/bin/celery -A benchmark_portal worker -B -s var/celerybeat-schedule -Q default,reports -c 2 --loglevel=INFO > var/worker.log 2>&1 &
  worker_pid=$!
  trap '[ -n "$worker_pid" ] && kill $worker_pid 2>/dev/null' EXIT INT TERM
else
  echo "No Redis broker found: tasks run in-process (CELERY_TASK_ALWAYS_EAGER)."
fi
# Semantic vectors of the demo (and of anything written without a worker) in the background:
# idempotent, ~1 minute for the 47 demo fiches on 2 cores; until then search is by words.
$PY manage.py embed_experiences > var/embed.log 2>&1 &
embed_pid=$!
trap '[ -n "$worker_pid" ] && kill $worker_pid 2>/dev/null; kill $embed_pid 2>/dev/null' EXIT INT TERM
echo "Computing the semantic vectors of the fiches in the background (log in var/embed.log)"
cat <<MSG

  Périscope is starting on http://$HOST:$PORT/
  Sign in at http://$HOST:$PORT/comptes/connexion/ — demo accounts (password: periscope-demo):
    membre       collectivité member
    consultant   consultant
    visiteur     registered visitor (no group)
    equipe       staff (admin at /admin/)

MSG
$PY manage.py runserver "$HOST:$PORT"
