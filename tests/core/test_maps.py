"""The map of France: geometry read from core/data, classes of counts, links only where there is something."""

import itertools

from core import maps


def test_geometry_has_the_96_mainland_departements_with_simplified_paths():
    view_box, shapes = maps.france_departments()
    codes = {s.code for s in shapes}
    assert view_box == "0 0 613 585"
    assert len(shapes) == 96
    assert {"01", "2A", "2B", "33", "75", "95"} <= codes
    assert all(s.path.startswith("M") and s.path.endswith("z") for s in shapes)
    # Simplified and relative: well under the source's 118 KB.
    assert sum(len(s.path) for s in shapes) < 70_000


def test_a_few_counts_get_one_well_separated_class_each():
    legend = maps.count_classes(2)
    assert [(c.low, c.high) for c in legend] == [(1, 1), (2, 2)]
    assert [c.level for c in legend] == [2, 4]


def test_many_counts_are_split_into_five_contiguous_ranges():
    legend = maps.count_classes(12)
    assert len(legend) == 5
    assert legend[0].low == 1 and legend[-1].high == 12
    assert all(a.high + 1 == b.low for a, b in itertools.pairwise(legend))
    assert maps.level_of(12, legend) == 5
    assert maps.level_of(0, legend) == 0


def test_choropleth_links_only_departements_with_experiences():
    chart = maps.choropleth(
        {"33": 3, "69": 1}, {"33": "/x?department=gironde", "69": "/x?department=rhone", "01": "/ain"}
    )
    by_code = {d.code: d for d in chart.departments}
    assert by_code["33"].url == "/x?department=gironde"
    assert by_code["01"].url == ""  # nothing to show there
    assert by_code["33"].level > by_code["69"].level > 0
    assert chart.total == 4
    assert [d.code for d in chart.with_experiences] == ["33", "69"]
