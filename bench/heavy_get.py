"""The heaviest anonymous GETs: server time and bytes of each, flagged above a budget.

Runs the requests in this process through Django's test client (the whole middleware
stack, no network), after one warm-up request each, and prints the median of a few runs.
Run it on a database with every territory imported and the demo content loaded:

    DATABASE_URL=postgres://…/periscope_x .venv/bin/python bench/heavy_get.py [--runs 3]
    [--settings benchmark_portal.settings.production] [--budget-ms 300] [--budget-kb 300]

With the production settings (export DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS=localhost and
the e-mail variables), the browsable API is off: `?format=api` answers 404.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--settings", default=os.environ.get("DJANGO_SETTINGS_MODULE", "benchmark_portal.settings.test")
    )
    parser.add_argument("--budget-ms", type=float, default=300)
    parser.add_argument("--budget-kb", type=float, default=300)
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    os.environ.setdefault("DJANGO_LOG_LEVEL", "ERROR")

    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import override_settings

    from experiences.models import Experience
    from territories.models import Territory

    fiche = Experience.objects.filter(status="published", visibility="public").order_by("pk").first()
    commune = Territory.objects.filter(kind="commune").order_by("-population").first()
    print(f"{Territory.objects.count():,} territories, {Experience.objects.count():,} fiches")
    urls = [
        "/",
        "/experiences/",
        "/experiences/?q=tiers-lieu",
        "/experiences/carte/",
        "/experiences/selection/export/?format=xlsx",
        "/partenariats/",
        "/partenariats/export.csv",
        "/partenariats/export.xlsx",
        "/partenariats/carte/",
        "/territoires/autocomplete/?q=saint",
        "/api/v1/",
        "/api/v1/experiences/",
        "/api/v1/experiences/?format=json",
        "/api/v1/experiences/?format=api",
        "/api/v1/experiences/?q=tiers-lieu&format=api",
        "/api/v1/territories/?format=api",
        "/api/v1/organisations/?format=api",
        "/api/v1/partnerships/?format=api",
        "/api/v1/partnerships/export/?output=xlsx",
        "/api/v1/schema/",
    ]
    if fiche is not None:
        urls += [f"/experiences/{fiche.slug}/", f"/etudes/fiche/{fiche.slug}.pdf", f"/api/v1/experiences/{fiche.slug}/"]
    if commune is not None:
        urls.append(f"/territoires/{commune.slug}/")

    flagged = 0
    print(f"{'ms':>8} {'KB':>9} {'status':>6}  url")
    with override_settings(ALLOWED_HOSTS=["*"]):
        for url in urls:
            times, size, status = [], 0, 0
            for run in range(args.runs + 1):
                cache.clear()  # cold caches: what a new query string costs
                client = Client(REMOTE_ADDR=f"198.51.100.{run + 1}")
                start = time.perf_counter()
                response = client.get(url)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                elapsed = (time.perf_counter() - start) * 1000
                if run:  # the first run warms up the process
                    times.append(elapsed)
                size, status = len(body), response.status_code
            median = statistics.median(times)
            heavy = median > args.budget_ms or size / 1024 > args.budget_kb
            flagged += heavy
            print(f"{median:8.1f} {size / 1024:9.1f} {status:>6}  {url}{'   <-- over budget' if heavy else ''}")
    print(f"{flagged} request(s) over {args.budget_ms:.0f} ms or {args.budget_kb:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
