#!/usr/bin/env python
"""Load test: gunicorn with the production settings on 127.0.0.1, N simulated users.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/periscope_bench .venv/bin/python bench/load.py

What it does, in order:
1. seeds the database up to --experiences experiences (migrate, import_territories,
   load_demo, then `load_demo --synthetic K` for the missing ones; --no-seed skips);
2. collects static files and starts gunicorn (benchmark_portal/gunicorn.conf.py,
   production settings, JSON logs to var/bench/gunicorn.log) on a free loopback
   port, plus a Celery worker when report requests are part of the mix;
3. runs --users threads for --duration seconds. Each user loops: pick a request
   from the mix, send it, wait a think time (uniform in --think, "0" for none);
4. prints throughput, p50/p95/p99/max per endpoint and errors, checks the targets
   (search p95 <= 300 ms, page p95 <= 200 ms, no error) and exits 1 if one is missed.

The mix (weights): search page /experiences/?q= (30), fiche /experiences/<slug>/
(25), API search /api/v1/experiences/?q= (15), territory autocomplete (15), home
(9), report request (1). A report request is a signed-in staff user asking for a
study's PDF through the studies app's "report" URL; it is left out, with a
message, when no such URL exists yet or the demo data has no study.

A load generator, not a test: loopback only, bounded in users, time and requests.
Standard library only (threads + http.client), so it runs wherever the portal does.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
BENCH_DIR = ROOT / "var" / "bench"

MAX_USERS = 200
MAX_DURATION = 1800
MAX_REQUESTS = 2_000_000

# (endpoint, weight, target p95 in ms or None)
MIX = [
    ("search", 30, 300),
    ("fiche", 25, 200),
    ("api_search", 15, 300),
    ("autocomplete", 15, 200),
    ("home", 9, 200),
    ("report", 1, None),
]
LABELS = {
    "search": "search page  /experiences/?q=",
    "fiche": "fiche        /experiences/<slug>/",
    "api_search": "API search   /api/v1/experiences/?q=",
    "autocomplete": "autocomplete /territoires/autocomplete/?q=",
    "home": "home         /",
    "report": "report request (staff, POST)",
}
QUERIES = [
    "tiers-lieu",
    "tiers lieux rural",
    "concertation",
    "budget participatif",
    "numérique",
    "compétences numériques des agents",
    "coopération décentralisée",
    "jumelage",
    "mobilité",
    "transport à la demande",
    "alimentation",
    "cantine bio",
    "énergie",
    "rénovation énergétique école",
    "jeunesse",
    "santé",
    "maison de santé",
    "habitat",
    "revitalisation centre-bourg",
    "mutualisation",
    "qualité de vie au travail",
    "économie circulaire",
    "ancienne gare",
    "culture",
    "eau",
    "biodiversité",
    "inclusion",
    "évaluation",
]


# --- Setup -------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[load] {message}", flush=True)


def manage(*args: str, env: dict | None = None, quiet: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env or os.environ.copy(),
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmark_portal.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")  # no query log piling up in this process
    import django

    django.setup()


def seed(target: int) -> int:
    """Bring the (migrated) database up to `target` experiences; return how many there are."""
    from experiences.models import Experience
    from territories.models import Territory

    if not Territory.objects.exists():
        log("importing territories")
        manage("import_territories", quiet=True)
    manage("load_demo", quiet=True)
    count = Experience.objects.count()
    if count < target:
        missing = target - count
        log(f"adding {missing} synthetic experiences (load_demo --synthetic {missing})")
        synthetic = Experience.objects.filter(external_ref__startswith="synthetic-").count()
        manage("load_demo", "--synthetic", str(missing), "--seed", str(synthetic + 1), "-v", "0")
        manage("shell", "-c", "from django.db import connection; connection.cursor().execute('ANALYZE')")
        count = Experience.objects.count()
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(args, port: int) -> dict:
    env = os.environ.copy()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Required by the production settings; nothing is sent during the run.
            "DJANGO_EMAIL_HOST": env.get("DJANGO_EMAIL_HOST", "localhost"),
            "DJANGO_EMAIL_USER": env.get("DJANGO_EMAIL_USER", ""),
            "DJANGO_EMAIL_PASSWORD": env.get("DJANGO_EMAIL_PASSWORD", ""),
            # Plain HTTP on loopback: no HTTPS redirect. Everything else is production.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_STATIC_ROOT": str(BENCH_DIR / "static"),
            "DJANGO_MEDIA_ROOT": str(BENCH_DIR / "media"),
            "DJANGO_LOG_FORMAT": "json",
            "DATABASE_CONN_MAX_AGE": env.get("DATABASE_CONN_MAX_AGE", "60"),
            "CELERY_BROKER_URL": args.redis_url,
            "CELERY_RESULT_BACKEND": args.redis_url,
            "CACHE_URL": args.redis_url,
            # The throttles would turn a load test into a test of the throttles.
            "API_THROTTLE_ANON": "1000000/min",
            "API_THROTTLE_USER": "1000000/min",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_ACCESS_LOG": "",
        }
    )
    env.pop("DJANGO_DEBUG", None)
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    return env


def wait_ready(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    status, body = None, b""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}: see {BENCH_DIR / 'gunicorn.log'}")
        try:
            status, body = Client(base).get("/readyz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn not ready after {timeout:.0f} s (last /readyz: {status} {body[:200]!r})")


# --- HTTP ----------------------------------------------------------------------


class Client:
    """One user's connection: keep-alive when the server allows it, reconnect otherwise."""

    def __init__(self, base: str, cookies: dict | None = None):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.cookies = dict(cookies or {})
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        all_headers = {"Host": f"{self.host}:{self.port}", "Accept-Encoding": "identity", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close" or response.will_close:
            self.close()
        return response.status, data

    def get(self, path: str, headers: dict | None = None):
        return self.request("GET", path, headers=headers)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- What the users ask for -------------------------------------------------------


@dataclass
class Workload:
    slugs: list[str]
    queries: list[str]
    prefixes: list[str]
    report: tuple[str, dict] | None = None  # (path, staff cookies)
    report_note: str = ""
    notes: list[str] = field(default_factory=list)

    def path_for(self, endpoint: str, rng: random.Random) -> str:
        if endpoint == "search":
            params = {"q": rng.choice(self.queries)}
            if rng.random() < 0.15:
                params["page"] = "2"
            return "/experiences/?" + urllib.parse.urlencode(params)
        if endpoint == "api_search":
            return "/api/v1/experiences/?" + urllib.parse.urlencode({"q": rng.choice(self.queries)})
        if endpoint == "fiche":
            return f"/experiences/{rng.choice(self.slugs)}/"
        if endpoint == "autocomplete":
            return "/territoires/autocomplete/?" + urllib.parse.urlencode({"q": rng.choice(self.prefixes)})
        if endpoint == "home":
            return "/"
        raise ValueError(endpoint)


def sample_workload(rng: random.Random) -> Workload:
    from django.contrib.auth.models import AnonymousUser

    from experiences.models import Experience
    from territories.models import Territory

    slugs = list(Experience.objects.visible_to(AnonymousUser()).order_by("?").values_list("slug", flat=True)[:2000])
    if not slugs:
        sys.exit("no experience visible to anonymous users: seed the database first")
    names = list(Territory.objects.filter(population__gt=2000).order_by("?").values_list("name", flat=True)[:400]) or [
        "Lyon",
        "Bordeaux",
        "Saint-Étienne",
        "Plaine",
        "Communauté",
    ]
    prefixes = sorted({name[: rng.randint(3, min(8, len(name)))] for name in names if len(name) >= 3})
    return Workload(slugs=slugs, queries=QUERIES, prefixes=prefixes)


def report_url_candidates() -> list[tuple[str, list[str]]]:
    """URL names of the studies app (or API) that look like "request a report", with their kwargs."""
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}{entry.name}"
                lowered = name.lower()
                if re.search(r"report|rapport", lowered) and not re.search(
                    r"download|version|status|progress|file|pdf|list|detail|branding|preview|cancel", lowered
                ):
                    found.append((name, list(entry.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, "")
    # Prefer an explicit "request"/"generate" name, then HTML over API.
    found.sort(key=lambda item: (not re.search(r"request|demande|generate|create|new", item[0]), "api" in item[0]))
    return found


def prepare_report(workload: Workload, base: str) -> None:
    """Find the report URL, a study and a staff session; leave reports out otherwise."""
    from django.urls import NoReverseMatch, reverse

    from accounts.models import User
    from benchmark_portal.demo_loader import DEMO_PASSWORD
    from studies.models import Study

    candidates = report_url_candidates()
    if not candidates:
        workload.report_note = "no report URL in the studies app yet"
        return
    staff = User.objects.filter(username="equipe").first()
    study = Study.objects.visible_to(staff).order_by("pk").first() if staff else None
    if study is None:
        workload.report_note = "no demo staff user or study to request a report for"
        return
    path = None
    for name, kwargs in candidates:
        values = {k: study.slug if "slug" in k else study.pk for k in kwargs}
        try:
            path = reverse(name, kwargs=values)
            break
        except NoReverseMatch:
            continue
    if path is None:
        workload.report_note = f"could not build a report URL from {[c[0] for c in candidates]}"
        return
    client = Client(base)
    login = reverse("login")
    client.get(login)
    token = cookie(client, "csrftoken")
    status, _ = client.request(
        "POST",
        login,
        body=urllib.parse.urlencode(
            {"username": "equipe", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
        ).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token},
    )
    if not cookie(client, "sessionid"):
        workload.report_note = f"staff sign-in failed (HTTP {status})"
        return
    status, _ = report_request(client, path)
    if status >= 400:
        workload.report_note = f"POST {path} answered {status}"
        return
    workload.report = (path, dict(client.cookies))
    workload.notes.append(f"report requests: POST {path} as 'equipe'")


def cookie(client: Client, name: str) -> str:
    """A cookie by its Django name, with or without the production "__Host-" prefix."""
    return next((value for key, value in client.cookies.items() if key.removeprefix("__Host-") == name), "")


def report_request(client: Client, path: str, headers: dict | None = None):
    token = cookie(client, "csrftoken")
    return client.request(
        "POST",
        path,
        body=urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": token,
            "HX-Request": "true",
            **(headers or {}),
        },
    )


# --- Load ---------------------------------------------------------------------------


@dataclass
class Sample:
    endpoint: str
    latency_ms: float
    status: int  # 0: connection error


class Run:
    def __init__(self, base: str, workload: Workload, args, rng_seed: int):
        self.base, self.workload, self.args = base, workload, args
        self.samples: list[Sample] = []
        self.errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.stop = threading.Event()
        self.count = 0
        self.lock = threading.Lock()
        mix = [(e, w) for e, w, _ in MIX if e != "report" or workload.report]
        self.endpoints = [e for e, _ in mix]
        self.weights = [w for _, w in mix]
        self.rng_seed = rng_seed

    def user(self, index: int) -> None:
        rng = random.Random(self.rng_seed * 1000 + index)
        anonymous = Client(self.base)
        staff = Client(self.base, cookies=self.workload.report[1]) if self.workload.report else None
        think_low, think_high = self.args.think
        # Users start spread over the first think time, as real ones would.
        self.stop.wait(rng.uniform(0, think_high))
        sent = 0
        while not self.stop.is_set():
            endpoint = rng.choices(self.endpoints, self.weights)[0]
            sent += 1
            # The request id names the endpoint: the server's log lines then give
            # the time spent inside Django, per endpoint (see server_times).
            request_id = {"X-Request-ID": f"bench.{endpoint}.{index}.{sent}"}
            started = time.perf_counter()
            try:
                if endpoint == "report":
                    status, _ = report_request(staff, self.workload.report[0], request_id)
                else:
                    accept = {"Accept": "application/json"} if endpoint in ("api_search", "autocomplete") else {}
                    status, _ = anonymous.get(self.workload.path_for(endpoint, rng), headers={**accept, **request_id})
            except (OSError, http.client.HTTPException) as exc:
                status = 0
                with self.lock:
                    self.errors[endpoint][type(exc).__name__] += 1
            latency = (time.perf_counter() - started) * 1000
            with self.lock:
                self.samples.append(Sample(endpoint, latency, status))
                if status >= 400:
                    self.errors[endpoint][f"HTTP {status}"] += 1
                self.count += 1
                if self.count >= MAX_REQUESTS:
                    self.stop.set()
            if think_high > 0:
                self.stop.wait(rng.uniform(think_low, think_high))

    def run(self) -> float:
        threads = [threading.Thread(target=self.user, args=(i,), daemon=True) for i in range(self.args.users)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            while not self.stop.wait(min(10, self.args.duration)):
                elapsed = time.monotonic() - started
                if elapsed >= self.args.duration:
                    break
                log(f"{elapsed:5.0f} s  {self.count} requests")
        finally:
            self.stop.set()
            for thread in threads:
                thread.join(timeout=35)
        return time.monotonic() - started


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def summarise(run: Run, elapsed: float) -> dict:
    by_endpoint: dict[str, list[Sample]] = defaultdict(list)
    for sample in run.samples:
        by_endpoint[sample.endpoint].append(sample)
    rows = {}
    for endpoint, _, target in MIX:
        samples = by_endpoint.get(endpoint, [])
        if not samples:
            continue
        latencies = sorted(s.latency_ms for s in samples if s.status)
        errors = sum(1 for s in samples if s.status == 0 or s.status >= 400)
        rows[endpoint] = {
            "requests": len(samples),
            "rps": len(samples) / elapsed,
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "max": latencies[-1] if latencies else float("nan"),
            "errors": errors,
            "error_kinds": dict(run.errors.get(endpoint, {})),
            "target_p95": target,
        }
    total = len(run.samples)
    all_latencies = sorted(s.latency_ms for s in run.samples if s.status)
    return {
        "elapsed_s": elapsed,
        "requests": total,
        "rps": total / elapsed if elapsed else 0,
        "p50": percentile(all_latencies, 50),
        "p95": percentile(all_latencies, 95),
        "p99": percentile(all_latencies, 99),
        "errors": sum(r["errors"] for r in rows.values()),
        "endpoints": rows,
    }


def print_report(summary: dict, header: list[str]) -> bool:
    print()
    for line in header:
        print(line)
    print()
    print(
        f"{'endpoint':<44} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'errors':>6} | {'server p50':>10} {'p95':>5} {'queries':>7} {'db ms':>5}"
    )
    for endpoint, row in summary["endpoints"].items():
        server = row.get("server")
        server_cols = (
            f"{server['p50']:>10.0f} {server['p95']:>5.0f} {server['queries']:>7.1f} {server['db_ms']:>5.0f}"
            if server
            else f"{'':>10} {'':>5} {'':>7} {'':>5}"
        )
        print(
            f"{LABELS[endpoint]:<44} {row['requests']:>8} {row['rps']:>7.1f} {row['p50']:>7.0f} "
            f"{row['p95']:>7.0f} {row['p99']:>7.0f} {row['max']:>7.0f} {row['errors']:>6} | {server_cols}"
        )
    print(
        f"{'all':<44} {summary['requests']:>8} {summary['rps']:>7.1f} {summary['p50']:>7.0f} "
        f"{summary['p95']:>7.0f} {summary['p99']:>7.0f} {'':>7} {summary['errors']:>6}"
    )
    print("(left: as seen by the users, waiting for a free gunicorn process included; right: inside Django,")
    print(" from the server's request log matched by X-Request-ID: median time, mean queries, median database ms)")
    for endpoint, row in summary["endpoints"].items():
        if row["error_kinds"]:
            print(f"  errors on {endpoint}: {row['error_kinds']}")
    print()
    ok = summary["errors"] == 0
    print(f"target  no error: {'PASS' if ok else 'FAIL'} ({summary['errors']} errors)")
    for endpoint, row in summary["endpoints"].items():
        if row["target_p95"] is None:
            continue
        passed = row["p95"] <= row["target_p95"]
        ok &= passed
        print(
            f"target  {endpoint:<13} p95 <= {row['target_p95']} ms: {'PASS' if passed else 'FAIL'} ({row['p95']:.0f} ms)"
        )
    return ok


def server_times(path: Path, summary: dict) -> None:
    """Add, per endpoint, the time spent inside Django (the request log's duration_ms),
    the mean query count and the median database time, matched by request id."""
    durations: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[float]] = defaultdict(list)
    db_ms: dict[str, list[float]] = defaultdict(list)
    try:
        with path.open() as handle:
            for line in handle:
                if '"periscope.request"' not in line or '"bench.' not in line:
                    continue
                record = json.loads(line)
                endpoint = record.get("request_id", "").split(".")[1]
                durations[endpoint].append(record["duration_ms"])
                queries[endpoint].append(record.get("db_queries", 0))
                db_ms[endpoint].append(record.get("db_ms", 0.0))
    except (OSError, ValueError, IndexError, KeyError):
        return
    for endpoint, row in summary["endpoints"].items():
        if durations.get(endpoint):
            values = sorted(durations[endpoint])
            row["server"] = {
                "p50": percentile(values, 50),
                "p95": percentile(values, 95),
                "queries": sum(queries[endpoint]) / len(values),
                "db_ms": percentile(sorted(db_ms[endpoint]), 50),
            }


def server_log_stats(path: Path) -> str:
    slow = server_errors = lines = 0
    try:
        with path.open() as handle:
            for line in handle:
                lines += 1
                if '"periscope.db.slow"' in line:
                    slow += 1
                if '"status": 5' in line:
                    server_errors += 1
    except OSError:
        return ""
    return f"server log: {lines} lines, {slow} slow queries (>= DJANGO_SLOW_QUERY_MS), {server_errors} 5xx ({path})"


# --- Main ------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    parser.add_argument("--experiences", type=int, default=10_000, help="seed the database up to this many (10000)")
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument(
        "--think",
        default="0.5:1.5",
        help="think time between a user's requests, seconds: 'low:high' uniform, or '0' (default 0.5:1.5)",
    )
    parser.add_argument("--workers", type=int, default=0, help="gunicorn processes (default: gunicorn.conf.py's)")
    parser.add_argument(
        "--url", help="load an already running server instead (loopback only), e.g. http://127.0.0.1:8000"
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"))
    parser.add_argument("--no-reports", action="store_true", help="leave report requests out of the mix")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the users' choices")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS:
        parser.error(f"--users must be between 1 and {MAX_USERS}")
    if not 1 <= args.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 1 and {MAX_DURATION} s")
    low, _, high = args.think.partition(":")
    args.think = (float(low), float(high or low))
    if args.url:
        host = urllib.parse.urlsplit(args.url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--url must point to the loopback interface (127.0.0.1, localhost, ::1)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    django_setup()
    from django.db import connection

    rng = random.Random(args.seed)
    manage("migrate", "--noinput", quiet=True)  # /readyz (hence the run) needs every migration applied
    experiences = seed(args.experiences) if not args.no_seed else None
    if experiences is None:
        from experiences.models import Experience

        experiences = Experience.objects.count()
    workload = sample_workload(rng)
    connection.close()

    processes: list[subprocess.Popen] = []
    log_path = BENCH_DIR / "gunicorn.log"
    try:
        if args.url:
            base = args.url.rstrip("/")
            server = f"existing server at {base}"
        else:
            port = free_port()
            env = server_env(args, port)
            log("collecting static files")
            manage(
                "collectstatic",
                "--noinput",
                "-v",
                "0",
                *(
                    f"--ignore={app}"
                    for app in ("admin", "rest_framework", "drf_spectacular_sidecar", "django_filters")
                ),
                env=env,
            )
            base = f"http://127.0.0.1:{port}"
            with log_path.open("w") as handle:
                gunicorn = subprocess.Popen(
                    [PY, "-m", "gunicorn", "-c", "benchmark_portal/gunicorn.conf.py", "benchmark_portal.wsgi"],
                    cwd=ROOT,
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            processes.append(gunicorn)
            wait_ready(base, gunicorn)
            workers = env.get("GUNICORN_WORKERS") or f"{os.cpu_count() * 2 + 1}"
            server = f"gunicorn {workers} sync workers on {base}, production settings"

        if args.no_reports:
            workload.report_note = "--no-reports"
        else:
            prepare_report(workload, base)
            if workload.report and not args.url:
                celery = shutil.which("celery", path=str(Path(PY).parent)) or "celery"
                with (BENCH_DIR / "worker.log").open("w") as handle:
                    worker = subprocess.Popen(
                        [
                            *(celery, "-A", "benchmark_portal", "worker", "-Q", "reports,default", "-c", "1"),
                            *("--without-gossip", "--without-mingle", "--loglevel=WARNING"),
                        ],
                        cwd=ROOT,
                        env=server_env(args, 0),
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                processes.append(worker)
        if not workload.report:
            log(f"report requests left out: {workload.report_note}")

        # Warm-up, not measured: each process compiles templates and opens its connection.
        warm = Client(base)
        for endpoint, _, _ in MIX:
            if endpoint != "report":
                for _ in range(10):
                    warm.get(workload.path_for(endpoint, rng))
        warm.close()

        load_before = os.getloadavg()[0]
        if load_before > (os.cpu_count() or 1) * 0.5:
            log(f"warning: load average {load_before:.1f} before the run; other processes skew the figures")
        log(f"{args.users} users for {args.duration:.0f} s against {base}")
        run = Run(base, workload, args, args.seed)
        elapsed = run.run()
        summary = summarise(run, elapsed)
        think = "none" if args.think[1] == 0 else f"{args.think[0]:g}-{args.think[1]:g} s"
        header = [
            f"Périscope load test: {args.users} users, {elapsed:.0f} s, think time {think}, "
            f"{experiences} experiences, {os.cpu_count()} CPUs",
            f"server: {server}",
            f"machine load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f}",
            *workload.notes,
        ]
        if not workload.report:
            header.append(f"report requests: left out ({workload.report_note})")
        time.sleep(0.5)
        if not args.url:
            header.append(server_log_stats(log_path))
            server_times(log_path, summary)
        ok = print_report(summary, header)
        if args.json:
            summary.update(
                {"users": args.users, "think": args.think, "experiences": experiences, "cpus": os.cpu_count()}
            )
            args.json.write_text(json.dumps(summary, indent=2))
        return 0 if ok else 1
    finally:
        # SIGTERM to the main process only: gunicorn and Celery then shut down
        # gracefully (a report being rendered is finished, not lost).
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


if __name__ == "__main__":
    sys.exit(main())
