"""What each override of a library's internals in the search path still saves, measured.

For every trick, the same work with and without it, in-process, on whatever
data the database holds (the FilterSet part needs none):

  filterset  ExperienceFilterSet(params).is_valid() + .values, with the
             shallow copies of declared filters and form fields, and with
             django-filter's own deep copies (a plain subclass)

Dropped after measuring (2026-12-06): page fiches built without Model.from_db()
took 84 µs instead of 647 µs per page of 20 — 0.56 ms, under 5 % of a
rare-word search, not worth bypassing Django's model construction.

Usage: python bench/search_tricks.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmark_portal.settings.test")

import django  # noqa: E402

django.setup()

import django_filters  # noqa: E402
from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.http import QueryDict  # noqa: E402

from experiences.filtersets import ExperienceFilterSet  # noqa: E402
from experiences.models import Experience  # noqa: E402
from experiences.search import results  # noqa: E402

PARAMS = QueryDict("q=numérique agents&population=p2&population=p3&country=FR&sort=newest&comparable=2")


def _per_call(fn, repeat: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e6


def filterset(repeat: int) -> tuple[float, float]:
    request = results._Request(AnonymousUser())

    class Plain(ExperienceFilterSet):
        def __init__(self, *args, **kwargs):
            django_filters.FilterSet.__init__(self, *args, **kwargs)

        def get_form_class(self):
            return django_filters.FilterSet.get_form_class(self)

    def run(cls):
        def once():
            fs = cls(PARAMS, queryset=Experience.objects.all(), request=request)
            fs.is_valid()
            return fs.values

        return once

    return _per_call(run(ExperienceFilterSet), repeat), _per_call(run(Plain), repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'trick':<12} {'with (µs)':>10} {'without (µs)':>13} {'saved (µs)':>11}")
    for name, measure in (("filterset", filterset),):
        with_trick, without = measure(args.repeat)
        print(f"{name:<12} {with_trick:10.1f} {without:13.1f} {without - with_trick:11.1f}")


if __name__ == "__main__":
    main()
