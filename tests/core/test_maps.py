"""The maps: geometry read from core/data, classes of counts, links only where there is something."""

import itertools
import re

from core import maps


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


def test_the_pages_map_has_every_departement_the_belgian_provinces_and_brussels():
    view_box, shapes, insets = maps.territory_map()
    keys = {(s.country, s.kind, s.code) for s in shapes}
    french = {code for country, kind, code in keys if country == "FR" and kind == "department"}
    assert len(french) == 101 and {"2A", "2B", "75", "971", "972", "973", "974", "976"} <= french
    assert {code for country, kind, code in keys if country == "BE" and kind == "province"} == {
        "10000",
        "20001",
        "20002",
        "30000",
        "40000",
        "50000",
        "60000",
        "70000",
        "80000",
        "90000",
    }
    assert ("BE", "region", "04000") in keys  # Brussels-Capital, which has no province
    assert [i.code for i in insets] == ["971", "972", "973", "974", "976"]
    assert all(re.fullmatch(r"(M[-\d. ]+l[-\d. ]+z)+", s.path) for s in shapes)
    # Every shape inside the drawing; the overseas ones inside their inset.
    width, height = (float(v) for v in view_box.split()[2:])
    frames = {i.code: i for i in insets}
    for s in shapes:
        assert 0 <= s.x <= width and 0 <= s.y <= height, s.name
        if s.code in frames:
            frame = frames[s.code]
            assert frame.x <= s.x <= frame.x + frame.w and frame.y <= s.y <= frame.y + frame.h, s.name
    # Compact enough to be inlined in the home page.
    assert sum(len(s.path) for s in shapes) + sum(len(b) for b in maps.country_borders()) < 80_000


def test_choropleth_links_only_units_with_experiences():
    chart = maps.choropleth(
        {("FR", "33"): 3, ("FR", "69"): 1, ("BE", "90000"): 2, ("FR", "974"): 1},
        {
            ("FR", "33"): "/x?department=gironde",
            ("FR", "69"): "/x?department=rhone",
            ("FR", "01"): "/ain",
            ("BE", "90000"): "/x?department=province-namur",
            ("FR", "974"): "/x?department=reunion",
        },
    )
    by_key = {(d.country, d.code): d for d in chart.departments}
    assert by_key["FR", "33"].url == "/x?department=gironde"
    assert by_key["FR", "01"].url == ""  # nothing to show there
    assert by_key["FR", "33"].level > by_key["BE", "90000"].level > by_key["FR", "69"].level > 0
    assert chart.total == 7
    assert [d.label for d in chart.with_experiences] == [
        "Gironde (33)",
        "Province de Namur",
        "Rhône (69)",
        "La Réunion (974)",
    ]
    assert len(chart.insets) == 5 and chart.borders
