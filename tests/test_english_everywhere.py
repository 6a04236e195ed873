"""No French interface text on any English page, for every role and every route.

The crawl: for each role (anonymous, collectivité member, consultant, consultant on a
study's team, staff), every URL pattern of the resolver that answers 200 to a GET — its
arguments filled with the objects of a small world — is fetched under /en/ (the API, which
has no language prefix, with `Accept-Language: en`). Routes that only answer POST, or only
answer an error to every object, are not pages and are left out by that rule.

What is checked in each answer: the visible text (text nodes and the title, alt,
placeholder and aria-label attributes; script and style left out) minus every element
marked `lang="fr"` (user content written in French and shown as such), or every string
value of a JSON answer, or the text of a spreadsheet's documentation sheets. It must contain

* no msgid of the catalogue whose English translation differs from it. Short msgids
  ("Oui", "Date", "Type") would match English words or names by chance, so only msgids of
  at least MIN_MSGID_CHARS characters and two words count, matched on word boundaries,
  placeholders (``%(name)s``, ``{name}``) standing for any text; a msgid that is also part
  of some English translation (a proper noun kept as it is) is not French evidence;
* no word of FRENCH_ONLY, the short French labels the rule above misses;
* no French function word between spaces (« les », « des », « avec »…: French sentences that
  are in no catalogue at all), no French typography (a space before ":" or "%", guillemets).

Beyond the bare routes: search, reference-territory, comparison and selection states
(`extra_urls`), forms posted with wrong values (their error messages), and the English
e-mails (weekly digest, invitation, password reset), whose fiche titles are removed by value
(a text e-mail has no lang attribute) and say "(in French)" instead.

Data exports keep their values in the import template's French words on purpose (an export
re-imports as it is, see the README): their data rows are not checked, their header row (CSV)
and documentation sheets (XLSX) are.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from functools import cache

import polib
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from lxml import html as lxml_html

from accounts.roles import Role
from tests.factories import ExperienceFactory, TerritoryFactory, UserFactory
from tests.security.crawl import build_url, fill_kwargs, model_label
from tests.security.routes import project_routes
from tests.security.rules import rule_for
from tests.security.world import build_world
from tests.test_i18n import PO_FILE, compiled_catalogue  # noqa: F401 (fixture)

MIN_MSGID_CHARS = 14
# French labels short enough to escape the msgid rule, and words the English interface
# never uses: history, project states, territory kinds, statuses.
FRENCH_ONLY = [
    "Publiée",
    "Publié",
    "Brouillon",
    "En cours",
    "Terminé",
    "Abandonné",
    "Commune",
    "Intercommunalité",
    "Belgique",
    "Résumé",
    "Contexte",
    "Télécharger",
    "Rechercher",
    "Enregistrer",
    "Modifier",
    "Supprimer",
    "Annuler",
    "Français",
    "hab.",
    "Colonnes",
    "<html lang=fr>",
]
# JSON keys holding user content (the API gives `title` and `title_en` side by side: the
# key says the language, as lang="fr" does in a page).
CONTENT_KEYS = {
    "title",
    "summary",
    "context",
    "actions",
    "results",
    "vigilance",
    "description",
    "question",
    "conclusions",
    "analysis_note",
    "snippet_html",
    "title_html",
    "name",
}
# French function words between spaces (never inside a hyphenated place name such as
# Aix-les-Bains): they catch French sentences that are not in the catalogue at all.
FRENCH_FUNCTION_WORDS = ["les", "des", "une", "avec", "pour", "dans", "est", "sont", "aux"]
# French typography in English text: a space before ":" ";" "!" "?" or "%", guillemets.
FRENCH_TYPOGRAPHY = [
    ("space before a colon, semicolon, ! or ?", re.compile(r"\w[ \u00a0\u202f][:;!?](?=\s|$)")),
    ("space before %", re.compile(r"\d[ \u00a0\u202f]%")),
    ("« guillemets »", re.compile(r"[«»]")),
]
VISIBLE_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
ROLES = ["visitor", "member", "consultant", "team_consultant", "staff"]


@cache
def french_patterns() -> list[tuple[str, re.Pattern]]:
    """(msgid, pattern) of every catalogue message that is French evidence (see the module doc)."""
    po = [e for e in polib.pofile(str(PO_FILE)) if not e.obsolete and e.msgstr and not e.msgid_plural]
    translations = "\n".join(e.msgstr for e in po)
    result = []
    for entry in po:
        msgid = " ".join(entry.msgid.split())
        if msgid == " ".join(entry.msgstr.split()):
            continue
        pieces = re.split(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|<[^>]*>", msgid)
        literal = max((p.strip() for p in pieces), key=len)
        if len(literal) < MIN_MSGID_CHARS or " " not in literal or literal in translations:
            continue
        body = r"\s+".join(
            r"\S*".join(re.escape(part) for part in re.split(r"\s*(?:%\(\w+\)[sdif]|\{\w*\})\s*", word))
            for word in literal.split()
        )
        result.append((entry.msgid, re.compile(rf"(?<!\w){body}(?!\w)")))
    result.extend((word, re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")) for word in FRENCH_ONLY)
    result.extend((f"« {word} »", re.compile(rf"(?<=\s){word}(?=\s)")) for word in FRENCH_FUNCTION_WORDS)
    result.extend(FRENCH_TYPOGRAPHY)
    return result


def visible_text(response) -> str:
    """The text a reader of this answer sees, minus what is marked lang="fr"."""
    raw = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    content_type = response.get("Content-Type", "")
    if "html" in content_type:
        if not raw.strip():
            return ""
        tree = lxml_html.fromstring(raw.decode("utf-8"))
        if tree.tag == "html" and tree.get("lang", "").startswith("fr"):
            return "<html lang=fr> on an English page"
        for element in tree.xpath("//script|//style|//template|//*[starts-with(@lang, 'fr')]"):
            if element.getparent() is None:
                return ""  # a fragment in French, marked as such
            element.drop_tree()
        attributes = [v for a in VISIBLE_ATTRIBUTES for v in tree.xpath(f"//@{a}")]
        return "\n".join([tree.text_content(), *attributes])
    if "json" in content_type:
        strings: list[str] = []

        def walk(value):
            if isinstance(value, dict):
                for key, item in value.items():
                    if key not in CONTENT_KEYS:
                        walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
            elif isinstance(value, str):
                strings.append(value)

        walk(json.loads(raw or b"null"))
        return "\n".join(strings)
    if raw[:4] == b"PK\x03\x04":
        return spreadsheet_documentation(raw)
    if "csv" in content_type:  # the header row is for readers; the data rows re-import as they are
        return raw.decode("utf-8-sig", errors="replace").split("\n", 1)[0]
    if "text/" in content_type or "yaml" in content_type:
        return raw.decode("utf-8", errors="replace")
    return ""  # PDF (the report's language is tested with the reports), binary files


def spreadsheet_documentation(raw: bytes) -> str:
    """Sheet names and every sheet but the first (the data), of an XLSX answer."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        if "xl/workbook.xml" not in archive.namelist():
            return ""
    workbook = load_workbook(io.BytesIO(raw), read_only=True)
    parts = list(workbook.sheetnames)
    for sheet in workbook.worksheets[1:]:
        for row in sheet.iter_rows(values_only=True):
            parts.extend(str(cell) for cell in row if cell is not None)
    return "\n".join(parts)


def french_in(text: str) -> list[str]:
    """What is French in `text`: each rule that matches, with the text around its first match."""
    flat = " ".join(text.split())
    found = set()
    for rule, pattern in french_patterns():
        if match := pattern.search(flat):
            found.add(f"{rule} [{flat[max(0, match.start() - 25) : match.end() + 25]}]")
    return sorted(found)


def english_world():
    """The security tests' world (an object in every state for every route), with the
    organisations, studies and partnerships named in neutral words (their names are user
    content, not interface), one fiche with an English title and summary, the others French."""
    world = build_world()
    world.org_a.name, world.org_b.name = "Client A", "Client B"
    world.org_a.save(update_fields=["name"])
    world.org_b.save(update_fields=["name"])
    for organisation in world.organisations.values():
        organisation.name = organisation.name.replace("Association", "Network").replace("Réseau", "Network")
        organisation.save(update_fields=["name"])
    world.territory.name = "Chabaniere"
    world.territory.save(update_fields=["name"])
    for state, study in world.studies.items():
        study.title, study.question, study.conclusions = f"Study {state}", "Which pacts work?", "They do."
        study.save(update_fields=["title", "question", "conclusions"])
    for partnership in world.partnerships.values():
        partnership.title = partnership.title.replace("Jumelage", "Twinning")
        partnership.description = "Exchanges."
        partnership.save(update_fields=["title", "description"])
    published = world.experiences["published"]
    published.title_en, published.summary_en = "Third place in a station", "A station became a third place."
    published.save(update_fields=["title_en", "summary_en"])
    # A Belgian municipality as the reader's reference (comparability reasons, "other country")
    # and a fiche led in Mali (a country facet value outside France and Belgium).
    world.reference = TerritoryFactory(
        name="Namur", slug="namur-test", country="BE", code="92094", population=110000, density_class="dense"
    )
    kampti = TerritoryFactory(name="Kampti", slug="kampti-test", country="ML", kind="other", code="ML-KAMPTI")
    world.experiences["abroad"] = ExperienceFactory(
        title="Coopération décentralisée avec Kampti",
        slug="experience-abroad",
        summary="Une coopération pour l'eau potable dans les écoles.",
        lead_territory=kampti,
        status="published",
        visibility="public",
        budget_amount=25000,
    )
    from experiences.search import refresh_search_fields

    refresh_search_fields([e.pk for e in world.experiences.values()])
    world.users["team_consultant"] = world.users.pop("consultant")
    world.users["consultant"] = UserFactory(username="consultant_alone", role=Role.CONSULTANT)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    private, media = settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT
    settings.PRIVATE_MEDIA_ROOT = tmp_path_factory.mktemp("private")
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock():
        from django.db import transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield english_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
    settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT = private, media


# Arguments no object of the world fills.
KNOWN_KWARGS = {"fmt": "xlsx"}


def extra_urls(world) -> list[str]:
    """Search, comparison and selection states the bare routes do not show."""
    published, abroad = world.experiences["published"], world.experiences["abroad"]
    ref = world.reference.slug
    return [
        "/en/experiences/?q=tiers",
        "/en/experiences/?q=station",
        f"/en/experiences/?ref={ref}",
        f"/en/experiences/?ref={ref}&q=tiers&sort=comparability",
        f"/en/experiences/carte/?ref={ref}",
        f"/en/etudes/comparer/?ids={published.pk},{abroad.pk}",
        "/en/experiences/selection/",
        f"/api/v1/experiences/?ref={ref}&q=tiers",
    ]


def english_pages(world, client):
    """(route label, url, response) of the first English URL of each route that answers 200,
    then of the extra states."""
    for name in ("published", "abroad"):
        with translation.override("en"):
            client.post(reverse("experiences:selection_toggle", args=[world.experiences[name].pk]))
    for route in project_routes():
        with translation.override("en"):  # a request activates its own language in the thread
            if route.route.startswith("admin/"):
                continue
            candidates = []
            if not route.kwargs:
                candidates.append(build_url(route, {}))
            elif all(name in KNOWN_KWARGS for name in route.kwarg_names):
                candidates.append(build_url(route, {name: KNOWN_KWARGS[name] for name in route.kwarg_names}))
            else:
                rule = rule_for(route.name)
                for obj in world.objects:
                    if rule and rule.model and model_label(obj) != rule.model:
                        continue
                    kwargs = fill_kwargs(route, obj)
                    if kwargs is not None:
                        candidates.append(build_url(route, kwargs))
        for url in dict.fromkeys(u for u in candidates if u):
            response = client.get(url)
            if response.status_code == 200:
                yield route.label, url, response
                break
    for url in extra_urls(world):
        response = client.get(url)
        assert response.status_code == 200, f"{url} -> {response.status_code}"
        yield "extra", url, response


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogue")
@pytest.mark.parametrize("role", ROLES)
def test_no_french_interface_text_on_any_english_page(role, world):
    client = Client(raise_request_exception=False, headers={"accept-language": "en"})
    if role != "visitor":
        client.force_login(world.users[role])
    failures, urls = [], []
    for label, url, response in english_pages(world, client):
        urls.append(url)
        found = french_in(visible_text(response))
        if found:
            failures.append(f"{url} ({label}): " + " | ".join(found[:8]))
    assert len(urls) > 25, f"only {len(urls)} routes answered 200: the crawl proves nothing"
    assert sum(url.startswith("/en/") for url in urls) > 20
    assert not failures, f"{len(failures)} English page(s) of {role} show French:\n" + "\n".join(failures)


def test_the_french_detector_finds_french_and_spares_english_and_marked_content():
    class Page:
        def __init__(self, body: str):
            self.content = f"<html><body>{body}</body></html>".encode()

        def get(self, _name, default=""):
            return "text/html; charset=utf-8"

    assert any(f.startswith("Publiée") for f in french_in(visible_text(Page("<p>State: Publiée</p>"))))
    assert not french_in(visible_text(Page('<p lang="fr">Publiée, <b>En cours</b></p><p>Published</p>')))
    assert not french_in(visible_text(Page("<p>The commune council</p>")))  # "Commune" is case-sensitive
    assert french_in(visible_text(Page('<input placeholder="Rechercher une expérience">')))


def _without(text: str, *contents: str) -> str:
    """A text e-mail has no lang attribute: the fiche's own words are removed by value."""
    for content in contents:
        text = text.replace(content, " ")
    return text


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogue")
def test_english_emails_carry_no_french_interface_text(world, django_capture_on_commit_callbacks):
    from accounts.roles import Role as Roles
    from accounts.services import user_invite
    from experiences import alerts
    from experiences.search import refresh_search_fields

    member = world.users["member"]
    member.email = "member@example.org"
    member.save(update_fields=["email"])
    saved = alerts.saved_search_create(
        user=member, name="Third places", query="q=tiers", weekly_digest=True, language="en"
    )
    english = ExperienceFactory(
        title="Un tiers-lieu dans la gare", title_en="A third place in the station", lead_territory=world.territory
    )
    french = ExperienceFactory(title="Un tiers-lieu pour les habitants", lead_territory=world.territory)
    refresh_search_fields([english.pk, french.pk])
    mail.outbox.clear()
    assert alerts.saved_search_send_digest(saved_search_id=saved.pk).sent

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        user_invite(by=world.users["staff"], email="new@example.org", role=Roles.MEMBER, base_url="http://testserver")
    client = Client()
    client.post("/en/comptes/mot-de-passe/oublie/", {"email": member.email})

    assert len(mail.outbox) == 3, [m.subject for m in mail.outbox]  # digest, invitation, password reset
    digest = mail.outbox[0]
    assert "A third place in the station" in digest.body and "Un tiers-lieu dans la gare" not in digest.body
    assert "Un tiers-lieu pour les habitants (in French)" in digest.body
    assert "/en/experiences/" in digest.body
    failures = []
    for message in mail.outbox:
        text = _without(f"{message.subject}\n{message.body}", french.title, "Third places")
        if found := french_in(text):
            failures.append(f"{message.subject}: " + " | ".join(found))
    assert not failures, "\n".join(failures)


# Forms posted with wrong values: their error messages (Django's and ours) in English.
INVALID_POSTS = [
    ("visitor", "login", {"username": "nobody", "password": "wrong"}),
    ("visitor", "password_reset", {"email": "not-an-address"}),
    ("member", "accounts:profile_edit", {"email": "not-an-address"}),
    ("member", "experiences:saved_search_create", {"name": "", "query": ""}),
    ("consultant", "experiences:create", {"title": "", "period_start": "2024-05-01", "period_end": "2023-01-01"}),
    ("consultant", "experiences:import", {}),
    ("staff", "studies:create", {"title": ""}),
    ("staff", "partnerships:create", {"title": "", "start_date": "yesterday"}),
    ("staff", "accounts:invite", {"email": "not-an-address"}),
]


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogue")
def test_form_errors_on_english_pages_are_in_english(world):
    failures, errors_seen = [], 0
    for role, name, data in INVALID_POSTS:
        client = Client(raise_request_exception=False)
        if role != "visitor":
            client.force_login(world.users[role])
        with translation.override("en"):
            url = reverse(name)
        response = client.post(url, data)
        assert response.status_code in (200, 400, 422), f"{url} -> {response.status_code}"
        html = response.content.decode()
        errors_seen += html.count("invalid-feedback") + html.count("errorlist") + html.count('role="alert"')
        if found := french_in(visible_text(response)):
            failures.append(f"POST {url}: " + " | ".join(found))
    assert errors_seen >= len(INVALID_POSTS), "the posts were expected to be refused with messages"
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogue")
def test_api_errors_follow_accept_language(world):
    client = Client(headers={"accept-language": "en"})
    answers = [
        client.get("/api/v1/experiences/zz-unknown/"),
        client.get("/api/v1/experiences/", {"theme": "zz-no-such-theme", "page": "x"}),
        client.get("/api/v1/studies/"),
    ]
    assert [a.status_code for a in answers] == [404, 400, 401]
    assert all(a["Content-Language"] == "en" for a in answers)
    for answer in answers:
        assert not french_in(visible_text(answer)), answer.content
    french = Client(headers={"accept-language": "fr"}).get("/api/v1/experiences/zz-unknown/")
    assert french["Content-Language"] == "fr" and french.json() != answers[0].json()


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogue")
def test_the_english_openapi_schema_describes_every_field_in_english(world):
    schema = Client(headers={"accept-language": "en"}).get("/api/v1/schema/", {"format": "json"}).json()

    def descriptions(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "description" and isinstance(value, str):
                    yield value
                else:
                    yield from descriptions(value)
        elif isinstance(node, list):
            for value in node:
                yield from descriptions(value)

    texts = list(descriptions(schema["components"]))
    assert "Sort score (relevance and/or comparability)." in texts
    french = [text for text in texts if french_in(text)]
    assert not french, sorted(set(french))
