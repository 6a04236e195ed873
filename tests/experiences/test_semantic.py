"""Semantic search (experiences/semantic): visibility of every semantic read, cross-language
retrieval, duplicate warnings in the form and the import dry run, theme suggestions, the
embedding jobs. Needs a PostgreSQL with pgvector (the embedded server: see README);
tests/experiences/test_semantic_without_pgvector.py covers a server without it.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.urls import reverse

from accounts.roles import Role
from experiences import services
from experiences.models import ExperienceVector
from experiences.semantic import availability, encoder, hybrid, jobs, neighbours, passages
from experiences.semantic.duplicates import candidates_for_vector, duplicate_candidates
from experiences.semantic.similar import similar_experiences
from experiences.semantic.tasks import embed_experiences_task
from experiences.semantic.themes import theme_suggestions
from tests.factories import ExperienceFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_pgvector_is_there_for_this_suite():
    assert availability.available(), "run the suite on a PostgreSQL with pgvector (the embedded server)"


# --- Cross-language retrieval ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["third place in a former railway station", "derde plek in een oud station", "lieu partagé dans une gare"]
)
def test_an_english_a_dutch_or_a_reworded_query_finds_the_french_fiche_first(world, query):
    hits = hybrid.hybrid_search(viewer=AnonymousUser(), text=query)
    assert hits[0].experience_id == world["gare"].pk
    assert hits[0].matched_meaning


def test_an_exact_french_phrase_is_still_found_by_its_words_and_its_meaning(world):
    hits = hybrid.hybrid_search(viewer=AnonymousUser(), text="régie agricole municipale")
    assert hits[0].experience_id == world["cantine"].pk
    assert hits[0].reasons == ["words", "meaning"]


# --- Visibility of every semantic read ---------------------------------------------------------


def test_a_confidential_fiche_is_never_a_semantic_neighbour_of_someone_who_cannot_read_it(world, insider):
    vector = encoder.embed_query("gare désaffectée transformée en tiers-lieu")
    for outsider in (AnonymousUser(), UserFactory(role=Role.CONSULTANT), UserFactory(role=Role.MEMBER)):
        assert world["secret"].pk not in [pk for pk, _s in neighbours.nearest(viewer=outsider, vector=vector, limit=50)]
        hits = hybrid.hybrid_search(viewer=outsider, text="gare désaffectée transformée en tiers-lieu")
        assert world["secret"].pk not in [h.experience_id for h in hits]
    assert world["secret"].pk in [pk for pk, _s in neighbours.nearest(viewer=insider, vector=vector, limit=50)]


def test_similar_experiences_give_the_meaning_reason_and_never_a_confidential_fiche_to_an_outsider(world, insider):
    outside = similar_experiences(experience=world["gare"], viewer=AnonymousUser())
    assert world["secret"].pk not in [s.experience.pk for s in outside]
    inside = similar_experiences(experience=world["gare"], viewer=insider)
    secret = next(s for s in inside if s.experience.pk == world["secret"].pk)
    assert "sens proche" in secret.reason
    assert "thèmes communs : Tiers-lieux" in secret.reason


def test_the_fiche_page_lists_similar_experiences_by_meaning(world, client):
    response = client.get(world["gare"].get_absolute_url())
    assert response.status_code == 200
    assert world["secret"].title not in response.content.decode()


def test_a_duplicate_warning_names_a_visible_fiche_of_the_same_or_a_related_territory_only(world):
    consultant = UserFactory(role=Role.CONSULTANT)
    staff = UserFactory(role=Role.STAFF)
    kwargs = {
        "title": "Ramillies : la gare désaffectée reconvertie en coworking et lieu de rencontre",
        "summary": "La commune transforme son ancienne gare en espace de travail partagé et point de rencontre, "
        "avec des services de proximité pour les habitants.",
    }
    found = duplicate_candidates(**kwargs, territory=world["village"], viewer=consultant)
    assert [c.experience.pk for c in found] == [world["gare"].pk]
    assert found[0].relation == "same"
    # Near enough below the threshold, the confidential one comes for the staff only: the consultant
    # is neither its author nor its client.
    vector = encoder.embed_passages([passages.draft_passage(**kwargs).text])[0]
    loose = {"vector": vector, "territory": world["village"], "limit": 10, "threshold": 0.5}
    assert world["secret"].pk in [c.experience.pk for c in candidates_for_vector(**loose, viewer=staff)]
    assert world["secret"].pk not in [c.experience.pk for c in candidates_for_vector(**loose, viewer=consultant)]
    # Under the EPCI of the village: related territory.
    assert [c.relation for c in duplicate_candidates(**kwargs, territory=world["epci"], viewer=consultant)] == [
        "within"
    ]
    # Another territory: not the same experience, however close the words.
    assert duplicate_candidates(**kwargs, territory=world["elsewhere"], viewer=consultant) == []
    # Editing the fiche itself: it is not its own duplicate.
    assert (
        duplicate_candidates(**kwargs, territory=world["village"], viewer=consultant, exclude_id=world["gare"].pk) == []
    )


def test_a_different_project_of_the_same_territory_is_not_a_duplicate(world):
    found = duplicate_candidates(
        title="Ramillies : un budget participatif pour les villages",
        summary="Chaque année, une enveloppe finance des projets proposés et votés par les habitants.",
        territory=world["village"],
        viewer=UserFactory(role=Role.STAFF),
    )
    assert found == []


def test_theme_suggestions_never_come_from_a_fiche_the_reader_cannot_see(world, insider):
    text = {
        "title": "Une gare désaffectée devient un tiers-lieu",
        "summary": "Le bâtiment voyageurs accueille un café, un espace de coworking et des services.",
    }
    outsider = UserFactory(role=Role.CONSULTANT)
    for suggestion in theme_suggestions(**text, viewer=outsider):
        assert world["secret"].pk not in [e.pk for e in suggestion.fiches]
    outside = {s.theme.pk: s for s in theme_suggestions(**text, viewer=outsider)}
    assert world["tiers_lieux"].pk in outside
    assert outside[world["tiers_lieux"].pk].fiches == [world["gare"]]
    inside = {s.theme.pk: s for s in theme_suggestions(**text, viewer=insider)}
    assert world["secret"] in inside[world["tiers_lieux"].pk].fiches
    # A theme ticked already is not offered again.
    ticked = theme_suggestions(**text, viewer=outsider, exclude_theme_ids=[world["tiers_lieux"].pk])
    assert world["tiers_lieux"].pk not in [s.theme.pk for s in ticked]


def test_theme_suggestions_read_the_labels_and_synonyms_of_the_thesaurus(world):
    suggestions = theme_suggestions(
        title="Des repas scolaires avec des produits locaux",
        summary="La restauration collective de la ville s'approvisionne auprès des producteurs du territoire.",
        viewer=AnonymousUser(),
    )
    assert suggestions[0].theme == world["alimentation"]


# --- The fiche form and the import dry run ---------------------------------------------------


def test_the_fiche_form_asks_for_hints_and_warns_of_a_duplicate_with_a_link(world, client):
    consultant = UserFactory(role=Role.CONSULTANT)
    client.force_login(consultant)
    page = client.get(reverse("experiences:create")).content.decode()
    assert reverse("experiences:semantic_form_hints") in page
    response = client.post(
        reverse("experiences:semantic_form_hints"),
        {
            "title": "Ramillies : la gare désaffectée reconvertie en coworking et lieu de rencontre",
            "summary": "La commune transforme son ancienne gare en espace de travail partagé et point de "
            "rencontre, avec des services de proximité pour les habitants.",
            "lead_territory": "ramillies",
            "lead_territory_label": "Ramillies",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "peut-être déjà dans Périscope" in html
    assert world["gare"].get_absolute_url() in html
    assert world["secret"].title not in html
    assert f'data-suggest-theme="{world["tiers_lieux"].pk}"' in html


def test_the_form_hints_are_for_consultants_only(world, client):
    client.force_login(UserFactory(role=Role.MEMBER))
    assert client.post(reverse("experiences:semantic_form_hints"), {"title": "x", "summary": "y"}).status_code == 403


def test_the_import_dry_run_lists_possible_duplicates_and_suggested_themes(world, client):
    consultant = UserFactory(role=Role.CONSULTANT)
    content = (
        "reference;titre;resume;territoire_code;territoire_type;territoire_pays\r\n"
        "IMP-1;Ramillies : la gare désaffectée reconvertie en coworking;"
        "La commune transforme son ancienne gare en espace de travail partagé et point de rencontre, "
        "avec des services de proximité.;25122;commune;BE\r\n"
    ).encode()
    run = services.import_run_create(user=consultant, filename="fiches.csv", content=content)
    notes = run.report["semantic"]
    assert notes["checked"] == 1
    row = notes["rows"][0]
    assert row["duplicates"][0]["url"] == world["gare"].get_absolute_url()
    assert world["secret"].title not in str(notes)
    assert "Tiers-lieux" in [t["label"] for t in row["themes"]]
    client.force_login(consultant)
    page = client.get(reverse("experiences:import_detail", args=[run.pk])).content.decode()
    assert "Doublons possibles et thèmes suggérés" in page
    assert world["gare"].get_absolute_url() in page


# --- What is embedded, and the jobs ---------------------------------------------------------------


def test_the_passage_is_plain_text_under_the_token_window(world):
    experience = world["gare"]
    experience.results = "<p>" + " ".join(["Un résultat mesuré et durable."] * 900) + "</p>"
    experience.save()
    passage, _updated = passages.experience_passages([experience.pk])[experience.pk]
    assert "<" not in passage.text and "propriété communale" in passage.text
    assert "Turning the former Ramillies railway station" in passage.text
    assert "Thèmes : Tiers-lieux (Third places)." in passage.text
    assert passage.tokens <= passages.MAX_TOKENS < encoder.WINDOW_TOKENS


def test_re_embedding_skips_an_unchanged_fiche_and_redoes_an_edited_one(world):
    ids = [world["gare"].pk, world["cantine"].pk]
    assert jobs.embed_experiences(ids).as_dict() == {"embedded": 0, "unchanged": 2, "missing": 0}
    staff = UserFactory(role=Role.STAFF)
    services.experience_update(
        experience=world["cantine"], by=staff, fields={"summary": "Des légumes bio de la régie."}
    )
    assert jobs.embed_experiences(ids).as_dict() == {"embedded": 1, "unchanged": 1, "missing": 0}
    assert jobs.stale_ids() == []


def test_a_write_through_the_services_queues_the_embedding_after_commit(world, django_capture_on_commit_callbacks):
    staff = UserFactory(role=Role.STAFF)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = services.experience_create(
            author=staff,
            fields={
                "title": "Un tiers-lieu dans un ancien moulin",
                "summary": "Le moulin devient un lieu partagé.",
                "lead_territory": world["village"],
            },
        )
    assert any(getattr(c, "func", None) == embed_experiences_task.delay for c in callbacks)
    assert ExperienceVector.objects.filter(experience=created, model=encoder.model_id()).exists()


def test_the_embedding_task_retries_a_transient_database_error(world, monkeypatch):
    calls = []
    real = jobs.embed_experiences

    def flaky(ids, **kwargs):
        calls.append(ids)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(ids, **kwargs)

    monkeypatch.setattr(jobs, "embed_experiences", flaky)
    # throw=False: an eager retry is then re-applied at once, as a worker would after the backoff.
    result = embed_experiences_task.apply(args=[[world["gare"].pk]], throw=False)
    assert result.successful()
    assert len(calls) == 2


def test_the_embedding_task_does_not_retry_other_errors(world, monkeypatch):
    calls = []

    def broken(ids, **kwargs):
        calls.append(ids)
        raise ValueError("a bug")

    monkeypatch.setattr(jobs, "embed_experiences", broken)
    with pytest.raises(ValueError, match="a bug"):
        embed_experiences_task.apply(args=[[world["gare"].pk]])
    assert len(calls) == 1


def test_deleting_a_fiche_deletes_its_vector(world):
    pk = world["cantine"].pk
    world["cantine"].delete()
    assert not ExperienceVector.objects.filter(experience_id=pk).exists()


def test_semantic_search_off_leaves_words_only(world, settings):
    settings.SEMANTIC_SEARCH = False
    assert not availability.available()
    assert [h.reasons for h in hybrid.hybrid_search(viewer=AnonymousUser(), text="régie agricole municipale")] == [
        ["words"]
    ]
    assert hybrid.hybrid_search(viewer=AnonymousUser(), text="third place in a former railway station") == []
    assert theme_suggestions(title="Une gare", summary="devient un tiers-lieu partagé", viewer=AnonymousUser()) == []


def test_the_calibration_z_score_equals_the_one_measured_over_every_fiche(monkeypatch):
    from experiences.semantic import calibration

    rng = np.random.default_rng(7)
    corpus = rng.normal(size=(300, 384))
    corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
    monkeypatch.setattr(calibration, "corpus_stats", lambda: (corpus.mean(axis=0), np.cov(corpus, rowvar=False)))
    query = corpus[0] + 0.5 * corpus[1]
    query /= np.linalg.norm(query)
    sims = corpus @ query
    expected = (sims - sims.mean()) / sims.std(ddof=1)
    assert np.allclose(calibration.zscores(query, sims[:5].tolist()), expected[:5], atol=1e-6)


DEMO_QUERIES = {
    "demo-011": ("digital skills of municipal staff", "digitale vaardigheden van gemeentepersoneel"),
    "demo-037": ("participatory budgeting", "participatieve begroting"),
    "demo-042": ("organic school meals grown by the town", "biologische schoolmaaltijden"),
    "demo-046": ("volunteer drivers for residents without a car", "vrijwillige chauffeurs voor inwoners zonder auto"),
    "demo-014": ("decentralised cooperation with Burkina Faso", "samenwerking met een gemeente in Burkina Faso"),
}


def test_english_and_dutch_queries_find_the_french_demo_fiche_with_the_hybrid_ranking(db):
    """Six fiches of benchmark_portal/demo/experiences.json, as the demo writes them (French, with
    their English title and summary); each English and Dutch query must rank its fiche first."""
    import json
    from pathlib import Path

    rows = {
        row["ref"]: row
        for row in json.loads(
            (Path(__file__).resolve().parents[2] / "benchmark_portal/demo/experiences.json").read_text()
        )
    }
    ids = {}
    for ref in (*DEMO_QUERIES, "demo-001"):
        row = rows[ref]
        fields = {
            k: row.get(k, "") for k in ("title", "title_en", "summary", "summary_en", "context", "actions", "results")
        }
        ids[ref] = ExperienceFactory(**fields).pk
    services.refresh_derived_fields(list(ids.values()))
    jobs.embed_experiences(list(ids.values()))
    from experiences.selectors import experience_search

    for ref, queries in DEMO_QUERIES.items():
        for query in queries:
            hits = hybrid.hybrid_search(viewer=AnonymousUser(), text=query)
            assert hits and hits[0].experience_id == ids[ref], (query, ref)
            # The search page's own statement ranks it first too.
            page = experience_search(viewer=AnonymousUser(), params={"q": query}).experiences
            assert page and page[0].pk == ids[ref] and page[0].matched_meaning, (query, ref)
