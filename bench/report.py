"""Benchmark: render a 30-experience study report, WeasyPrint vs headless Chromium.

    DATABASE_URL=... .venv/bin/python bench/report.py [--experiences 30] [--runs 5]

Times the whole report task in one warm process (data loading + templates +
WeasyPrint layout + PDF writing; the layout in REPORT_RENDER_PROCESSES forked
parts, as the worker does, and in one piece for reference) and, as the
reference, the same HTML printed
by a cold `/usr/bin/chromium --print-to-pdf` (a new browser each run). Prints
pages, median seconds of each and the ratio. Target: WeasyPrint ≤ 3 s median
and ≤ 2 × Chromium. The study is created inside a transaction that is rolled
back, so the database is left as it was. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmark_portal.settings.local")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.roles import Role  # noqa: E402
from bench.machine import yardstick  # noqa: E402
from core.pdf import ASSET_ORIGIN, collected_after, resolve_local_url  # noqa: E402
from studies import reports, selectors  # noqa: E402

logging.getLogger("weasyprint").setLevel(logging.ERROR)
CHROMIUM = "/usr/bin/chromium"
COLLECT_SECONDS: list[float] = []  # the garbage collection after each job, outside its latency


class Rollback(Exception):
    pass


def make_study(n: int):
    """A study of `n` experiences with criteria and notes (cloning demo fiches if needed)."""
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import ROLE_GROUPS
    from experiences.models import Experience, Organisation
    from studies import services
    from territories.models import Territory

    staff, _ = User.objects.get_or_create(username="bench-staff")
    staff.groups.add(Group.objects.get_or_create(name=ROLE_GROUPS[Role.STAFF])[0])
    client = Organisation.objects.order_by("pk").first() or Organisation.objects.create(name="Client", slug="client")
    source = list(Experience.objects.filter(status="published").order_by("pk")[:n])
    if not source:
        territory = Territory.objects.filter(kind="commune", country="FR").first()
        source = [
            Experience.objects.create(
                title="Tiers-lieu de démonstration",
                slug="bench-demo",
                summary="Un tiers-lieu rural.",
                context="Contexte. " * 80,
                actions="- Action\n" * 6,
                results="Résultats. " * 60,
                vigilance_points="Vigilance. " * 30,
                lead_territory=territory,
            )
        ]
    experiences = list(source)
    i = 0
    while len(experiences) < n:  # clone until there are n
        base = source[i % len(source)]
        themes = list(base.themes.all())
        base.pk = None
        base.id = None
        base.slug = f"bench-clone-{i}"
        base.external_ref = None
        base.title = f"{base.title} (variante {i + 1})"
        base.save()
        base.themes.set(themes)
        experiences.append(base)
        i += 1
    study = services.study_create(
        by=staff,
        title="Tiers-lieux ruraux : trente expériences comparées pour une commune de 2 400 habitants",
        client_organisation=client,
        question="À quelles conditions une commune rurale peut-elle ouvrir un tiers-lieu durable ?",
        scope="Communes rurales de 800 à 7 000 habitants, France et Wallonie.",
        method="Recherche documentaire, entretiens, visites, atelier de restitution.",
    )
    services.study_add_experiences(study=study, experience_ids=[e.pk for e in experiences], by=staff)
    for name in ("Budget", "Durée", "Gouvernance", "Publics", "Résultats"):
        criterion = services.criterion_create(study=study, name=name, description="", by=staff)
        for item in study.items.all():
            services.criterion_value_set(criterion=criterion, item=item, value=f"{name} : valeur observée", by=staff)
    for item in study.items.all():
        services.study_item_notes_update(
            item=item,
            by=staff,
            analysis_note="Cas proche du client ; phase de test transposable.",
            transferability="La préfiguration en local provisoire et le comité d'usagers.",
            client_vigilance="Le modèle économique : prévoir les charges de fonctionnement dès le départ.",
        )
    services.study_texts_update(
        study=study,
        by=staff,
        conclusions="Les expériences convergent. " * 20,
        recommendations="- Tester avant d'investir\n- Associer les usagers\n- Sécuriser le foncier",
    )
    return study, staff


def weasyprint_task(study_id: int, viewer, processes: int) -> tuple[float, float, int]:
    """What the Celery task does, minus saving the file: load, build HTML, lay out, write.

    With processes > 1 the layout runs in that many forked parts (the
    production setting, REPORT_RENDER_PROCESSES). Returns wall seconds, CPU
    seconds of this process and its children, pages.
    """
    with collected_after():  # as the task: the collector paused during the job, run after it
        start, cpu = time.perf_counter(), _cpu()
        snapshot = selectors.report_snapshot(study_id=study_id, viewer=viewer)
        document = reports.build_report_document(snapshot, version=1)
        pdf = reports.render_report(document, processes=processes)
        elapsed, used = time.perf_counter() - start, _cpu() - cpu
        collect_start = time.perf_counter()
    COLLECT_SECONDS.append(time.perf_counter() - collect_start)
    return elapsed, used, pdf.pages


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the forked parts)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def chromium_html(html: str, folder: Path) -> Path:
    """The same HTML with our asset URLs turned into local files Chromium can read."""

    def local(match: re.Match) -> str:
        url = match.group(2)
        full = url if url.startswith(ASSET_ORIGIN) else ASSET_ORIGIN + url
        path = resolve_local_url(full)
        return f"{match.group(1)}{path.as_uri() if path else url}"

    html = re.sub(r'((?:href|src)=")(/static/[^"]+|' + re.escape(ASSET_ORIGIN) + r'[^"]+)', local, html)
    css = Path(resolve_local_url(ASSET_ORIGIN + settings.STATIC_URL + "css/report.css")).read_text()
    css = re.sub(
        r'url\("(/static/[^"]+)"\)', lambda m: f'url("{resolve_local_url(ASSET_ORIGIN + m.group(1)).as_uri()}")', css
    )
    html = html.replace('<link rel="stylesheet" href="' + (BASE_DIR / "static/css/report.css").as_uri() + '">', "")
    html = html.replace("</head>", f"<style>{css}</style></head>")
    target = folder / "report.html"
    target.write_text(html)
    return target


def chromium_render(html_file: Path, folder: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of all Chromium processes, pages."""
    profile = tempfile.mkdtemp(prefix="chromium-bench-")
    out = folder / "chromium.pdf"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={out}",
            html_file.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shutil.rmtree(profile, ignore_errors=True)
    return elapsed, cpu, pdf_pages(out)


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False).stdout
    match = re.search(r"Pages:\s+(\d+)", info)
    return int(match.group(1)) if match else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiences", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="write the WeasyPrint PDF to this path")
    parser.add_argument(
        "--processes",
        type=int,
        default=settings.REPORT_RENDER_PROCESSES,
        help="parts laid out at once (default: REPORT_RENDER_PROCESSES, %(default)s here)",
    )
    args = parser.parse_args()
    try:
        with transaction.atomic():
            study, staff = make_study(args.experiences)
            items = study.items.count()
            gc.freeze()  # as a worker's pool child at start (benchmark_portal/celery.py)
            weasyprint_task(study.pk, staff, args.processes)  # warm-up: fonts, templates, imports
            times, cpus, whole_times, whole_cpus, pages = [], [], [], [], 0
            for _ in range(args.runs):  # interleaved, so that both meet the same machine
                elapsed, cpu, pages = weasyprint_task(study.pk, staff, args.processes)
                times.append(elapsed)
                cpus.append(cpu)
                if args.processes > 1:
                    elapsed, cpu, _pages = weasyprint_task(study.pk, staff, 1)
                    whole_times.append(elapsed)
                    whole_cpus.append(cpu)
            snapshot = selectors.report_snapshot(study_id=study.pk, viewer=staff)
            html = reports.build_report_html(snapshot, version=1)
            if args.keep:
                document = reports.build_report_document(snapshot, version=1)
                Path(args.keep).write_bytes(reports.render_report(document, processes=args.processes).content)
            raise Rollback((items, times, cpus, whole_times, whole_cpus, pages, html))
    except Rollback as done:
        items, times, cpus, whole_times, whole_cpus, pages, html = done.args[0]
    wp, wp_cpu = statistics.median(times), statistics.median(cpus)
    # On a shared machine wall time includes waiting for a core: CPU time is printed too.
    print(f"experiences: {items}  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(yardstick(connection))
    print(
        f"weasyprint (warm, whole task, layout in {args.processes} part(s)): pages={pages} median={wp:.2f}s "
        f"cpu={wp_cpu:.2f}s runs={[round(t, 2) for t in times]}"
    )
    if whole_times:
        print(
            f"  the same laid out in one piece, for reference: median={statistics.median(whole_times):.2f}s "
            f"cpu={statistics.median(whole_cpus):.2f}s runs={[round(t, 2) for t in whole_times]}"
        )
    print(
        f"  then the garbage collection after each job (the worker pays it before its next job): "
        f"median {statistics.median(COLLECT_SECONDS[1:]):.2f}s"
    )
    if not Path(CHROMIUM).exists():
        print("chromium: not installed (apt-get install chromium)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        html_file = chromium_html(html, folder)
        ctimes, ccpus, cpages = [], [], 0
        for _ in range(max(3, args.runs // 2)):
            elapsed, cpu, cpages = chromium_render(html_file, folder)
            ctimes.append(elapsed)
            ccpus.append(cpu)
    cr, cr_cpu = statistics.median(ctimes), statistics.median(ccpus)
    print(
        f"chromium (cold, print only): pages={cpages} median={cr:.2f}s cpu={cr_cpu:.2f}s "
        f"runs={[round(t, 2) for t in ctimes]}"
    )
    print(f"ratio weasyprint/chromium: wall {wp / cr:.2f}, cpu {wp_cpu / cr_cpu:.2f} (target ≤ 2.0)")
    print(f"weasyprint median ≤ 3 s: {'OK' if wp <= 3 else 'NOT MET'}")


if __name__ == "__main__":
    main()
