import csv
import gzip
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from territories.models import Territory
from territories.services import COLUMNS, DEFAULT_PATH, TerritoryFileError, territories_import

SAMPLE = Path(__file__).parent / "fixtures" / "sample_territories.csv"
SAMPLE_ROWS = 18


def territory(country: str, kind: str, code: str) -> Territory:
    return Territory.objects.select_related("parent", "epci").get(country=country, kind=kind, code=code)


def write_sample(tmp_path: Path, edit) -> Path:
    with SAMPLE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows = edit(rows)
    path = tmp_path / "territories.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.django_db
def test_import_creates_every_row_of_the_file_once():
    result = territories_import(path=SAMPLE, progress=False)

    assert Territory.objects.count() == SAMPLE_ROWS
    assert result.total == SAMPLE_ROWS
    assert sum(result.created.values()) == SAMPLE_ROWS
    assert result.created["commune"] == 7
    assert result.created["epci"] == 2
    assert result.created["region"] == 4
    assert not result.updated and not result.retired


@pytest.mark.django_db
def test_imported_commune_is_linked_to_its_department_and_epci():
    territories_import(path=SAMPLE, progress=False)

    chabaniere = territory("FR", "commune", "69228")
    assert chabaniere.name == "Chabanière"
    assert chabaniere.slug == "chabaniere-69228"
    assert chabaniere.parent == territory("FR", "department", "69")
    assert chabaniere.epci.code == "246900740"
    assert chabaniere.epci.subkind == Territory.Subkind.CC
    assert chabaniere.parent.parent.slug == "region-auvergne-rhone-alpes-84"
    assert chabaniere.parent.parent.parent.slug == "pays-france-fr"
    assert territory("FR", "epci", "246900740").parent.code == "69"
    assert set(chabaniere.epci.member_communes.values_list("code", flat=True)) == {"69228", "69141", "69166"}


@pytest.mark.django_db
def test_imported_rows_carry_the_derived_columns_save_would_compute():
    territories_import(path=SAMPLE, progress=False)

    chabaniere = territory("FR", "commune", "69228")
    assert chabaniere.search_name == "chabaniere"
    assert chabaniere.density == 123.9  # 4,323 inhabitants on 34.89 km²
    assert chabaniere.density_class == Territory.DensityClass.RURAL
    assert territory("FR", "commune", "69123").density_class == Territory.DensityClass.DENSE
    assert territory("FR", "commune", "69166").density_class == Territory.DensityClass.INTERMEDIATE
    empty_village = territory("FR", "commune", "55039")
    assert empty_village.density == 0
    assert empty_village.density_class == Territory.DensityClass.VERY_RURAL

    # The same row saved through the model gives the same figures.
    chabaniere.density, chabaniere.density_class, chabaniere.search_name = None, "", ""
    chabaniere.save()
    assert (chabaniere.density, chabaniere.density_class, chabaniere.search_name) == (123.9, "rural", "chabaniere")


@pytest.mark.django_db
def test_belgian_communes_hang_under_their_province_or_the_brussels_region():
    territories_import(path=SAMPLE, progress=False)

    namur = territory("BE", "commune", "92094")
    assert namur.slug == "namur-92094"
    assert namur.parent == territory("BE", "province", "90000")
    assert namur.parent.parent.slug == "region-wallonne-03000"
    assert namur.epci is None
    assert namur.density is None and namur.density_class == ""
    bruxelles = territory("BE", "commune", "21004")
    assert bruxelles.parent.kind == Territory.Kind.REGION
    assert bruxelles.parent.code == "04000"


@pytest.mark.django_db
def test_search_name_finds_chabaniere_without_its_accent():
    territories_import(path=SAMPLE, progress=False)

    found = Territory.objects.filter(search_name__contains="chabaniere")
    assert [t.label for t in found] == ["Chabanière (69)"]


@pytest.mark.django_db
def test_second_import_reports_no_change(django_assert_max_num_queries):
    territories_import(path=SAMPLE, progress=False)

    with django_assert_max_num_queries(4):  # savepoint, one SELECT, release
        result = territories_import(path=SAMPLE, progress=False)

    assert result.changes == 0
    assert sum(result.unchanged.values()) == SAMPLE_ROWS


@pytest.mark.django_db
def test_changed_population_updates_that_row_only(tmp_path):
    territories_import(path=SAMPLE, progress=False)
    slug_before = territory("FR", "commune", "69228").slug

    def grow_chabaniere(rows):
        for row in rows:
            if row["code"] == "69228":
                row["population"] = "8000"
        return rows

    result = territories_import(path=write_sample(tmp_path, grow_chabaniere), progress=False)

    assert dict(result.updated) == {"commune": 1}
    assert not result.created and not result.retired
    chabaniere = territory("FR", "commune", "69228")
    assert chabaniere.population == 8000
    assert chabaniere.density == 229.3
    assert chabaniere.slug == slug_before
    assert chabaniere.epci.code == "246900740"


@pytest.mark.django_db
def test_commune_moved_to_another_epci_is_updated(tmp_path):
    territories_import(path=SAMPLE, progress=False)

    def move_riverie(rows):
        for row in rows:
            if row["code"] == "69166":
                row["epci_code"] = "200046977"
        return rows

    result = territories_import(path=write_sample(tmp_path, move_riverie), progress=False)

    assert dict(result.updated) == {"commune": 1}
    assert territory("FR", "commune", "69166").epci.code == "200046977"


@pytest.mark.django_db
def test_commune_dropped_from_the_file_is_kept_but_no_longer_current(tmp_path):
    territories_import(path=SAMPLE, progress=False)

    result = territories_import(
        path=write_sample(tmp_path, lambda rows: [r for r in rows if r["code"] != "69166"]), progress=False
    )

    assert dict(result.retired) == {"commune": 1}
    assert territory("FR", "commune", "69166").is_current is False
    assert Territory.objects.current().count() == SAMPLE_ROWS - 1

    result = territories_import(path=SAMPLE, progress=False)
    assert dict(result.updated) == {"commune": 1}
    assert territory("FR", "commune", "69166").is_current is True


@pytest.mark.django_db
def test_gzip_file_is_read_like_plain_csv(tmp_path):
    path = tmp_path / "sample.csv.gz"
    path.write_bytes(gzip.compress(SAMPLE.read_bytes()))

    result = territories_import(path=path, progress=False)

    assert result.total == SAMPLE_ROWS


@pytest.mark.django_db
def test_unknown_parent_rolls_back_the_whole_import(tmp_path):
    def orphan(rows):
        for row in rows:
            if row["code"] == "69228":
                row["parent_code"] = "99"
        return rows

    with pytest.raises(TerritoryFileError, match="parent"):
        territories_import(path=write_sample(tmp_path, orphan), progress=False)

    assert not Territory.objects.exists()


@pytest.mark.django_db
def test_slug_already_taken_by_another_territory_gets_the_country_suffix():
    Territory.objects.create(kind="commune", country="BE", code="X1", name="Homonyme", slug="chabaniere-69228")

    territories_import(path=SAMPLE, progress=False)

    assert territory("FR", "commune", "69228").slug == "chabaniere-69228-fr"


@pytest.mark.django_db
def test_command_prints_a_summary_then_no_change():
    first, second = io.StringIO(), io.StringIO()

    call_command("import_territories", path=SAMPLE, no_progress=True, stdout=first)
    call_command("import_territories", path=SAMPLE, no_progress=True, stdout=second)

    assert "Commune — créés : 7, mis à jour : 0, inchangés : 0" in first.getvalue()
    assert second.getvalue().strip() == "Aucun changement : 18 territoires déjà à jour."


def test_shipped_file_has_the_expected_columns():
    with gzip.open(DEFAULT_PATH, "rt", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == COLUMNS
