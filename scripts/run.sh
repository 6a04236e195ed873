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
  echo "Starting a Celery worker on $broker (queues default, reports)"
  .venv/bin/celery -A benchmark_portal worker -Q default,reports -c 2 --loglevel=INFO > var/worker.log 2>&1 &
  worker_pid=$!
  trap '[ -n "$worker_pid" ] && kill $worker_pid 2>/dev/null' EXIT INT TERM
else
  echo "No Redis broker found: tasks run in-process (CELERY_TASK_ALWAYS_EAGER)."
fi
cat <<MSG

  Périscope is starting on http://$HOST:$PORT/
  Demo accounts (password: periscope-demo):
    membre@demo.periscope.fr      collectivité member
    consultant@demo.periscope.fr  consultant
    equipe@demo.periscope.fr      staff (admin at /admin/)

MSG
$PY manage.py runserver "$HOST:$PORT"
