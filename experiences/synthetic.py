"""Synthetic experiences for scale tests and benchmarks (`load_demo --synthetic N`).

Realistic French text assembled from phrase banks per theme, themes and tags
drawn from Zipf distributions, lead territories drawn from the Territory table
(kind first, then weighted by real population). Rows are written with COPY
and carry every denormalised search column already filled, exactly as
`experiences.search.refresh_search_fields` would fill them (a test checks it).
Every row is marked `external_ref = "synthetic-N"`; `delete_synthetic_experiences()`
removes them.
"""

from __future__ import annotations

import bisect
import datetime
import html
import itertools
import json
import queue
import random
import threading
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from .comparability import TERRITORY_PROFILE_SQL
from .models import Experience, Organisation, Tag, Theme
from .search import add_search_terms, bump_generation, refresh_search_fields, registry

REF_PREFIX = "synthetic-"
BATCH = 1000
WRITERS = 2  # parallel COPY connections for bulk loads (the server's tsvector work is the bottleneck)
BULK_THRESHOLD = 20_000  # from this many rows, drop and rebuild the GIN indexes around the load
BULK_INDEXES = ("experience_search_vector", "experience_search_themes", "experience_search_tags")
VOCABULARY_SAMPLE = 5_000
THEMES_FILE = Path(settings.BASE_DIR) / "benchmark_portal" / "demo" / "themes.json"

# Share of lead territories by kind, then weighted by population inside a kind.
KIND_SHARES = (("commune", 0.58), ("epci", 0.22), ("department", 0.09), ("region", 0.05), ("province", 0.02))
STATES = (  # (status, visibility, share)
    ("published", "public", 0.80),
    ("published", "members", 0.08),
    ("published", "confidential", 0.03),
    ("draft", "public", 0.04),
    ("review", "public", 0.02),
    ("archived", "public", 0.03),
)
PROJECT_STATUSES = (("completed", 0.45), ("ongoing", 0.40), ("planned", 0.10), ("abandoned", 0.05))
ORG_KINDS = (
    ("collectivite", 0.45),
    ("association", 0.2),
    ("consultancy", 0.1),
    ("public_funder", 0.1),
    ("university", 0.07),
    ("company", 0.08),
)

# Theme vocabulary: (objects with article, goals, words) per theme slug; roots fall back to their children.
VOCAB: dict[str, tuple[list[str], list[str], list[str]]] = {
    "tiers-lieux": (
        ["un tiers-lieu", "un espace de coworking", "un fablab", "un café associatif", "un lieu hybride"],
        ["recréer du lien social au cœur du village", "accueillir les télétravailleurs", "ouvrir un lieu de rencontre"],
        ["coworking", "fablab", "télétravail", "animation", "communauté d'usagers", "ancienne gare", "convivialité"],
    ),
    "innovation-rurale": (
        ["un service itinérant", "une épicerie participative", "un pôle de services ruraux"],
        ["maintenir les services en milieu rural", "attirer de nouveaux habitants"],
        ["ruralité", "village", "bourg", "itinérance", "agriculteurs", "circuits courts"],
    ),
    "laboratoires-innovation-publique": (
        ["un laboratoire d'innovation publique", "une démarche de design des politiques publiques"],
        ["repenser un service avec ses usagers", "expérimenter avant de généraliser"],
        ["design", "prototypage", "immersion", "usagers", "expérimentation", "test"],
    ),
    "concertation": (
        ["une concertation citoyenne", "des ateliers participatifs", "une assemblée citoyenne", "un panel d'habitants"],
        ["associer les habitants aux décisions", "construire le projet avec les riverains"],
        ["concertation", "habitants", "ateliers", "réunions publiques", "citoyens tirés au sort", "participation"],
    ),
    "budget-participatif": (
        ["un budget participatif", "un appel à projets citoyens"],
        ["confier une part de l'investissement aux habitants", "financer des projets proposés par les habitants"],
        ["budget participatif", "vote", "projets citoyens", "investissement", "lauréats"],
    ),
    "pactes-de-collaboration": (
        ["des pactes de collaboration", "une charte des communs urbains"],
        ["partager la gestion d'espaces publics avec les habitants"],
        ["communs", "pacte", "jardins partagés", "espaces publics", "entretien"],
    ),
    "competences-numeriques-agents": (
        ["un plan de formation numérique des agents", "un parcours de montée en compétences numériques"],
        ["former les agents aux outils numériques", "réduire la fracture numérique interne"],
        ["formation", "agents", "compétences numériques", "outils collaboratifs", "tutorat", "e-learning"],
    ),
    "numerique-responsable": (
        ["une stratégie numérique responsable", "un plan de sobriété numérique"],
        ["réduire l'empreinte environnementale du numérique", "allonger la durée de vie des équipements"],
        ["sobriété", "reconditionnement", "réemploi", "écoconception", "empreinte carbone", "matériel"],
    ),
    "administration-numerique": (
        ["un guichet numérique unique", "la dématérialisation des démarches", "un portail citoyen"],
        ["simplifier les démarches des usagers", "moderniser la relation usager"],
        ["dématérialisation", "démarches en ligne", "portail", "données", "open data", "logiciel libre"],
    ),
    "inclusion-numerique": (
        ["des conseillers numériques", "un réseau d'aidants numériques"],
        ["accompagner les publics éloignés du numérique"],
        ["médiation numérique", "aidants", "illectronisme", "ateliers", "accompagnement"],
    ),
    "economie-regenerative": (
        ["une démarche d'économie régénérative", "un territoire à mission"],
        ["régénérer les ressources du territoire"],
        ["régénération", "biodiversité", "entreprises", "coopération", "ressources locales"],
    ),
    "economie-sociale-et-solidaire": (
        ["un pôle territorial de coopération économique", "une ressourcerie", "une coopérative d'activités"],
        ["développer l'emploi local solidaire"],
        ["ESS", "insertion", "coopérative", "ressourcerie", "réemploi", "emploi local"],
    ),
    "developpement-economique-local": (
        ["une pépinière d'entreprises", "un plan de soutien au commerce de proximité", "une foncière commerciale"],
        ["revitaliser le commerce local", "accueillir de nouvelles entreprises"],
        ["commerce", "artisanat", "entreprises", "zone d'activités", "emploi", "attractivité"],
    ),
    "cooperation-decentralisee": (
        ["une coopération décentralisée", "un partenariat de solidarité internationale"],
        ["soutenir l'accès à l'eau et à l'assainissement", "renforcer les capacités d'une collectivité partenaire"],
        ["coopération", "solidarité internationale", "Burkina Faso", "accès à l'eau", "gouvernance locale"],
    ),
    "jumelage": (
        ["un jumelage", "des échanges scolaires européens"],
        ["faire vivre l'amitié entre les peuples"],
        ["jumelage", "échanges", "jeunesse", "Europe", "mobilité des jeunes"],
    ),
    "programmes-europeens": (
        ["un projet Erasmus+", "un projet LEADER", "un programme Interreg"],
        ["mobiliser des financements européens"],
        ["Erasmus", "LEADER", "Interreg", "FEDER", "fonds européens", "partenaires européens"],
    ),
    "territorialisation-des-services": (
        ["une territorialisation des services", "des antennes de proximité"],
        ["rapprocher les services des habitants"],
        ["proximité", "antennes", "territorialisation", "organisation", "guichets"],
    ),
    "mutualisation": (
        ["une mutualisation des services", "un service commun", "un schéma de mutualisation"],
        ["réaliser des économies d'échelle entre communes et intercommunalité"],
        ["mutualisation", "service commun", "intercommunalité", "économies d'échelle", "convention"],
    ),
    "communes-nouvelles": (
        ["la création d'une commune nouvelle", "une fusion de communes"],
        ["préserver l'identité des communes déléguées"],
        ["commune nouvelle", "fusion", "communes déléguées", "gouvernance", "élus"],
    ),
    "gestion-patrimoniale": (
        ["un plan de gestion du patrimoine bâti", "un schéma directeur immobilier"],
        ["optimiser le patrimoine communal"],
        ["patrimoine", "bâtiments", "rénovation", "cession", "entretien"],
    ),
    "qualite-de-vie-au-travail": (
        ["une démarche de qualité de vie au travail", "un plan de prévention des risques psychosociaux"],
        ["améliorer les conditions de travail des agents"],
        ["qualité de vie au travail", "bien-être", "télétravail", "absentéisme", "management"],
    ),
    "pilotage": (
        ["un tableau de bord de pilotage", "un contrôle de gestion"],
        ["piloter l'action publique par les données"],
        ["indicateurs", "tableau de bord", "pilotage", "données", "objectifs"],
    ),
    "evaluation": (
        ["une évaluation des politiques publiques", "une démarche d'évaluation participative"],
        ["mesurer les effets d'une politique locale"],
        ["évaluation", "indicateurs", "impact", "enquête", "bilan"],
    ),
    "gestion-par-activites": (
        ["une gestion par activités", "une comptabilité analytique"],
        ["connaître le coût complet des services"],
        ["coût complet", "activités", "comptabilité analytique", "budget"],
    ),
    "ressources-humaines": (
        ["une gestion prévisionnelle des emplois", "un plan de recrutement"],
        ["anticiper les départs à la retraite", "attirer des candidats"],
        ["recrutement", "compétences", "carrières", "attractivité employeur", "apprentissage"],
    ),
    "energie": (
        ["une centrale photovoltaïque citoyenne", "un réseau de chaleur", "un plan de rénovation énergétique"],
        ["réduire la facture énergétique", "produire une énergie renouvelable locale"],
        ["photovoltaïque", "réseau de chaleur", "bois énergie", "géothermie", "méthanisation", "agrivoltaïsme"],
    ),
    "mobilites": (
        ["un service de transport à la demande", "un réseau de pistes cyclables", "un plan de covoiturage"],
        ["offrir des alternatives à la voiture individuelle"],
        ["vélo", "covoiturage", "transport à la demande", "autopartage", "pistes cyclables", "gare"],
    ),
    "alimentation": (
        ["un projet alimentaire territorial", "une cuisine centrale bio", "une légumerie"],
        ["relocaliser l'alimentation", "servir des repas locaux dans les cantines"],
        ["cantine", "circuits courts", "agriculture biologique", "producteurs locaux", "restauration scolaire"],
    ),
    "accueil-france-services": (
        ["une maison France services", "un bus France services"],
        ["garantir l'accès aux services publics"],
        ["France services", "accueil", "démarches administratives", "itinérance", "usagers"],
    ),
    "revitalisation-centre-bourg": (
        ["une opération de revitalisation du centre-bourg", "un programme Petites villes de demain"],
        ["redonner vie au centre-bourg", "lutter contre la vacance commerciale"],
        ["centre-bourg", "vacance", "commerces", "habitat", "espaces publics", "Petites villes de demain"],
    ),
    "friches-reconversion-gares": (
        ["la reconversion d'une friche", "la réhabilitation d'une ancienne gare"],
        ["donner une nouvelle vie à un bâtiment abandonné"],
        ["friche", "ancienne gare", "réhabilitation", "reconversion", "SNCF", "foncier"],
    ),
    "projet-de-territoire": (
        ["un projet de territoire", "un schéma de cohérence territoriale"],
        ["partager une vision d'avenir pour le territoire"],
        ["projet de territoire", "diagnostic", "prospective", "ateliers", "élus"],
    ),
}
GENERIC_WORDS = [
    "élus",
    "agents",
    "habitants",
    "partenaires",
    "association",
    "budget",
    "calendrier",
    "gouvernance",
    "comité de pilotage",
    "subvention",
    "Banque des Territoires",
    "ANCT",
    "région",
    "département",
    "diagnostic",
]
RARE_WORDS = ["agrivoltaïsme", "géothermie", "méthanisation", "réemploi", "permaculture", "tiny house", "écopâturage"]
ACTIONS = [
    "Création",
    "Ouverture",
    "Mise en place",
    "Expérimentation",
    "Déploiement",
    "Lancement",
    "Structuration",
    "Développement",
]
TAGS = [
    "ancienne gare",
    "coworking",
    "fablab",
    "télétravail",
    "café associatif",
    "budget participatif",
    "tirage au sort",
    "assemblée citoyenne",
    "conseillers numériques",
    "sobriété numérique",
    "logiciel libre",
    "open data",
    "réemploi",
    "ressourcerie",
    "circuits courts",
    "cantine bio",
    "projet alimentaire territorial",
    "photovoltaïque",
    "réseau de chaleur",
    "bois énergie",
    "vélo",
    "covoiturage",
    "transport à la demande",
    "France services",
    "centre-bourg",
    "Petites villes de demain",
    "friche",
    "jeunesse",
    "seniors",
    "accessibilité",
    "Erasmus",
    "LEADER",
    "Interreg",
    "FEDER",
    "coopération décentralisée",
    "jumelage",
    "accès à l'eau",
    "mutualisation",
    "commune nouvelle",
    "qualité de vie au travail",
    "télétravail des agents",
    "tableau de bord",
    "évaluation participative",
    "design de service",
    "laboratoire d'innovation",
    "Territoires zéro chômeur",
    "insertion",
    "ESS",
    "démocratie alimentaire",
    "biodiversité",
    "trame verte",
    "eau potable",
    "inondations",
    "adaptation au changement climatique",
    "îlot de fraîcheur",
    "cour d'école",
    "végétalisation",
    "habitat participatif",
    "logement des jeunes",
    "revitalisation commerciale",
    "marché de producteurs",
    "tourisme durable",
    "patrimoine",
    "culture",
    "bibliothèque tiers-lieu",
    "médiathèque",
    "santé",
    "maison de santé",
    "désert médical",
    "petite enfance",
    "crèche",
    "école",
    "collège",
    "sport",
    "numérique éducatif",
    "sécurité",
    "éclairage public",
    "rénovation énergétique",
    "zéro artificialisation nette",
    "agriculture urbaine",
    "jardins partagés",
    "compostage",
    "déchets",
    "économie circulaire",
    "mobilité douce",
    "autopartage",
    "navette",
    "bus",
    "intercommunalité",
    "pacte financier",
    "marchés publics",
    "achat responsable",
    "recrutement",
    "apprentissage",
    "formation des élus",
    "participation des jeunes",
    "conseil municipal des jeunes",
    "démocratie numérique",
    "civic tech",
]


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


class _Picker:
    """Weighted sampling with cumulative weights and bisect (fast for big lists)."""

    def __init__(self, items: Sequence, weights: Sequence[float]):
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rnd: random.Random):
        return self.items[bisect.bisect_right(self.cum, rnd.random() * self.total)]


def _elide(prep: str, phrase: str) -> str:
    """ "de" + "un tiers-lieu" -> "d'un tiers-lieu"; "de" + "la création" -> "de la création"."""
    if phrase[:1].lower() in "aeiouyéèêh" and prep == "de":
        return "d'" + phrase
    return f"{prep} {phrase}"


def _ensure_themes() -> list[Theme]:
    """The thesaurus: the existing one, or the demo thesaurus loaded once."""
    if not Theme.objects.exists():
        data = json.loads(THEMES_FILE.read_text(encoding="utf-8"))

        def create(nodes, parent=None):
            for position, node in enumerate(nodes):
                theme = Theme.objects.create(
                    name=node["name"],
                    name_en=node.get("name_en", ""),
                    slug=node["slug"],
                    synonyms=node.get("synonyms", []),
                    parent=parent,
                    position=position,
                )
                create(node.get("children", []), theme)

        create(data)
    return list(Theme.objects.all())


def _ensure_tags() -> list[Tag]:
    Tag.objects.bulk_create(
        [Tag(name=name, slug=slugify(name)) for name in TAGS], ignore_conflicts=True, unique_fields=["slug"]
    )
    by_slug = {t.slug: t for t in Tag.objects.filter(slug__in=[slugify(n) for n in TAGS])}
    return [by_slug[slugify(n)] for n in TAGS if slugify(n) in by_slug]


def _ensure_organisations(rnd: random.Random) -> list[Organisation]:
    existing = list(Organisation.objects.filter(slug__startswith="synthetique-org-"))
    if len(existing) >= 150:
        return existing
    picker = _Picker([k for k, _w in ORG_KINDS], [w for _k, w in ORG_KINDS])
    names = {
        "collectivite": "Collectivité",
        "association": "Association",
        "consultancy": "Cabinet",
        "public_funder": "Fonds",
        "university": "Laboratoire",
        "company": "Société",
    }
    new = []
    for n in range(len(existing), 150):
        kind = picker(rnd)
        new.append(Organisation(name=f"{names[kind]} synthétique {n}", slug=f"synthetique-org-{n}", kind=kind))
    Organisation.objects.bulk_create(new)
    return list(Organisation.objects.filter(slug__startswith="synthetique-org-"))


def _territory_pickers() -> tuple[_Picker, dict[str, _Picker], dict[int, dict]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT p.territory_id, t.name, t.kind, COALESCE(t.population, 0), p.country, p.region_id,
                       p.department_id, p.epci_id, p.epci_type, p.population, p.density_class, p.places
                FROM ({TERRITORY_PROFILE_SQL}) p JOIN territories_territory t ON t.id = p.territory_id
                WHERE t.is_current AND t.kind = ANY(%s)""",  # noqa: S608 - a fixed fragment
            [[k for k, _s in KIND_SHARES]],
        )
        rows = cursor.fetchall()
    if not rows:
        raise RuntimeError("No territories: run `manage.py import_territories` first.")
    profiles, by_kind = {}, {}
    for tid, name, kind, pop, country, region, dep, epci, epci_type, population, density, places in rows:
        profiles[tid] = {
            "name": name,
            "kind": kind,
            "country": country,
            "region_id": region,
            "department_id": dep,
            "epci_id": epci,
            "epci_type": epci_type or "",
            "population": population,
            "density_class": density or "",
            "places": places or "",
        }
        # Territories without a known population (Belgian ones) still get a small weight.
        by_kind.setdefault(kind, ([], []))
        by_kind[kind][0].append(tid)
        by_kind[kind][1].append(max(pop, 300))
    kinds = [k for k, _s in KIND_SHARES if k in by_kind]
    kind_picker = _Picker(kinds, [s for k, s in KIND_SHARES if k in by_kind])
    pickers = {kind: _Picker(ids, weights) for kind, (ids, weights) in by_kind.items()}
    return kind_picker, pickers, profiles


def _theme_words(theme: Theme) -> str:
    return " ".join([theme.name, theme.name_en, " ".join(theme.synonyms)])


def _copy(cursor, table: str, columns: Sequence[str], rows) -> None:
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


class _Batch(NamedTuple):
    rows: list  # experiences_experience rows, id first
    themes: list  # (experience_id, theme_id)
    tags: list  # (experience_id, tag_id)
    actors: list  # (experience_id, organisation_id, role)


def _write_batches(cursor, columns: Sequence[str], batches) -> int:
    """COPY the fiches of every batch, then their links; return how many fiches."""
    themes, tags, actors, count = [], [], [], 0
    with cursor.cursor.copy(f"COPY experiences_experience ({', '.join(columns)}) FROM STDIN") as copy:
        for batch in batches:
            for row in batch.rows:
                copy.write_row(row)
            themes += batch.themes
            tags += batch.tags
            actors += batch.actors
            count += len(batch.rows)
    _copy(cursor, "experiences_experience_themes", ["experience_id", "theme_id"], themes)
    _copy(cursor, "experiences_experience_tags", ["experience_id", "tag_id"], tags)
    _copy(cursor, "experiences_experienceorganisation", ["experience_id", "organisation_id", "role"], actors)
    return count


class _Writer(threading.Thread):
    """One COPY connection of the parallel load: its own transaction, committed only
    when every writer has written and checked its rows (a barrier), so either all
    writers commit or none does."""

    def __init__(self, columns: Sequence[str], barrier: threading.Barrier, abort: threading.Event):
        super().__init__(daemon=True)
        self.columns, self.barrier, self.abort = columns, barrier, abort
        self.queue: queue.Queue = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        self.committed = False
        self._drained = False

    def _batches(self):
        while (batch := self.queue.get()) is not None:
            yield batch
        self._drained = True

    def run(self) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _write_batches(cursor, self.columns, self._batches())
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a late foreign-key error fails here, not at commit
                self.barrier.wait()  # BrokenBarrierError when another writer failed
                if self.abort.is_set():
                    raise RuntimeError("synthetic load aborted")
            self.committed = True
        except BaseException as exc:  # reported by the producer thread
            self.error = exc
            self.barrier.abort()
            while not self._drained and self.queue.get() is not None:  # never leave the producer blocked
                pass
        finally:
            connection.close()


def _load_parallel(batches, ids: list[int], columns: Sequence[str], writers: int, bar) -> None:
    """Spread the batches over `writers` COPY connections (the server computes the
    search vectors on every core); all or nothing."""
    barrier, abort = threading.Barrier(writers), threading.Event()
    threads = [_Writer(columns, barrier, abort) for _ in range(writers)]
    for thread in threads:
        thread.start()
    try:
        for k, batch in enumerate(batches):
            thread = threads[k % writers]
            while True:
                if failed := next((t.error for t in threads if t.error), None):
                    raise failed
                try:
                    thread.queue.put(batch, timeout=0.2)
                    break
                except queue.Full:
                    continue
            bar.update(len(batch.rows))
    except BaseException:
        abort.set()
        raise
    finally:
        for thread in threads:
            thread.queue.put(None)
        for thread in threads:
            thread.join()
        errors = [t.error for t in threads if t.error]
        if errors and any(t.committed for t in threads):  # a commit failed after another succeeded: undo it
            _delete_ids(ids)
        if errors and not abort.is_set():
            raise errors[0]


def generate_synthetic_experiences(
    n: int, *, seed: int = 0, progress: bool = True, writers: int = WRITERS, bulk_threshold: int = BULK_THRESHOLD
) -> int:
    """Insert `n` synthetic experiences (COPY, all search columns filled); return how many were created.

    From `bulk_threshold` rows, the search GIN indexes are dropped and rebuilt
    around the load and, outside a transaction, `writers` connections COPY in
    parallel (committed together, see `_Writer`). Inside a transaction (tests,
    callers' atomic blocks) one connection writes everything.
    """
    if n <= 0:
        return 0
    start = Experience.objects.filter(external_ref__startswith=REF_PREFIX).count()
    while Experience.objects.filter(external_ref=f"{REF_PREFIX}{start}").exists():
        start += 1000
    # A second batch continues the numbering and draws different fiches.
    rnd = random.Random(f"{seed}-{start}")
    themes = _ensure_themes()
    leaves = [t for t in themes if not any(c.parent_id == t.pk for c in themes)]
    rnd.shuffle(leaves)
    tags = _ensure_tags()
    rnd.shuffle(tags)
    orgs = _ensure_organisations(rnd)
    kind_picker, territory_pickers, profiles = _territory_pickers()
    pickers = {
        "theme_picker": _Picker(leaves, _zipf_weights(len(leaves), 0.9)),
        "tag_picker": _Picker(tags, _zipf_weights(len(tags), 1.05)),
        "org_picker": _Picker(orgs, _zipf_weights(len(orgs), 0.8)),
        "clients": [o for o in orgs if o.kind == "collectivite"] or orgs,
        "kind_picker": kind_picker,
        "territory_pickers": territory_pickers,
        "profiles": profiles,
        "state_picker": _Picker([s[:2] for s in STATES], [s[2] for s in STATES]),
        "project_picker": _Picker([p for p, _w in PROJECT_STATUSES], [w for _p, w in PROJECT_STATUSES]),
        "generic": _Picker(GENERIC_WORDS, _zipf_weights(len(GENERIC_WORDS), 0.7)),
    }
    themes_by_id = {t.pk: t for t in themes}
    # Every concrete column: ours when we set it, else the field's Python default.
    fields = [
        f for f in Experience._meta.concrete_fields if not f.primary_key and not isinstance(f, models.GeneratedField)
    ]
    columns = ["id", *(f.column for f in fields)]
    defaults = {f.attname: f.get_default() for f in fields}
    now = timezone.now()

    def batches(ids: list[int]):
        for offset in range(0, len(ids), BATCH):
            batch = _Batch([], [], [], [])
            for i, pk in enumerate(ids[offset : offset + BATCH]):
                values = _one(rnd, number=start + offset + i, now=now, themes_by_id=themes_by_id, **pickers)
                direct_themes, tag_list, actors = values.pop("_themes"), values.pop("_tags"), values.pop("_actors")
                batch.rows.append([pk] + [values.get(f.attname, defaults[f.attname]) for f in fields])
                batch.themes.extend((pk, t.pk) for t in direct_themes)
                batch.tags.extend((pk, t.pk) for t in tag_list)
                batch.actors.extend((pk, o.pk, role) for o, role in actors)
            yield batch

    bulk = n >= bulk_threshold
    parallel = bulk and writers > 1 and not connection.in_atomic_block
    bar = tqdm(total=n, desc="Expériences synthétiques", unit=" fiches", disable=not progress)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('experiences_experience', 'id')) FROM generate_series(1, %s)", [n]
        )
        ids = [row[0] for row in cursor.fetchall()]
        # Building a GIN index once is several times faster than updating it row by row.
        rebuild = _drop_search_indexes(cursor) if bulk else []
        if not parallel:
            for batch in batches(ids):
                _write_batches(cursor, columns, [batch])
                bar.update(len(batch.rows))
            if rebuild:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred FK checks before the index builds
                _create_indexes(cursor, rebuild)
            _add_vocabulary(rnd, ids)
    if parallel:  # the index drop above is committed: its lock does not block the writers
        try:
            _load_parallel(batches(ids), ids, columns, writers, bar)
        finally:
            with connection.cursor() as cursor:
                _create_indexes(cursor, rebuild)
        with transaction.atomic():
            _add_vocabulary(rnd, ids)
    bar.close()
    if any(f.compute and f.column not in COMPUTED_COLUMNS for f in registry.FACETS):
        # A facet added to the registry whose column this generator does not compute
        # yet: the refresh statement fills it (slower, never different).
        refresh_search_fields(ids)
    with connection.cursor() as cursor:
        # Fresh statistics, or the planner guesses on tables that just grew.
        for table in (
            "experiences_experience",
            "experiences_experience_themes",
            "experiences_experience_tags",
            "experiences_experienceorganisation",
        ):
            cursor.execute(f"ANALYZE {table}")
    return n


# The copied search columns `_one` computes itself, as refresh_search_fields would.
COMPUTED_COLUMNS = frozenset(
    {
        "search_keywords",
        "search_places",
        "search_theme_ids",
        "search_tag_ids",
        "search_org_kinds",
        "search_territory_kind",
        "search_country",
        "search_region_id",
        "search_department_id",
        "search_epci_id",
        "search_epci_type",
        "search_population",
        "search_density_class",
    }
)


def _add_vocabulary(rnd: random.Random, ids: list[int]) -> None:
    # The synthetic vocabulary is closed (phrase banks): a sample of fiches
    # gives the suggestion list every word, at a fraction of a full ts_stat.
    add_search_terms(rnd.sample(ids, k=min(len(ids), VOCABULARY_SAMPLE)))
    bump_generation()


def _create_indexes(cursor, definitions: Sequence[str]) -> None:
    if definitions:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for definition in definitions:
            cursor.execute(definition)
        cursor.execute("RESET maintenance_work_mem")


def _drop_search_indexes(cursor) -> list[str]:
    """Drop the search GIN indexes; return the statements that recreate them."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'experiences_experience' AND indexname = ANY(%s)",
        [list(BULK_INDEXES)],
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def _paragraph(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


def _bullets(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(item, quote=False)}</li>" for item in items) + "</ul>"


def _one(rnd: random.Random, *, number: int, now, themes_by_id, **p) -> dict:
    """The column values of one synthetic fiche (plus its themes, tags and actors under _keys)."""
    kind = p["kind_picker"](rnd)
    territory_id = p["territory_pickers"][kind](rnd)
    prof = p["profiles"][territory_id]
    n_themes = 1 + (rnd.random() < 0.55) + (rnd.random() < 0.2)
    direct = list({t.pk: t for t in (p["theme_picker"](rnd) for _ in range(n_themes))}.values())
    n_tags = rnd.choice((0, 1, 2, 2, 3, 3, 4, 5))
    tag_list = list({t.pk: t for t in (p["tag_picker"](rnd) for _ in range(n_tags))}.values())
    n_actors = rnd.choice((0, 1, 1, 2, 3))
    actors = list({o.pk: o for o in (p["org_picker"](rnd) for _ in range(n_actors))}.values())
    actor_roles = [(o, rnd.choice(("lead", "partner", "partner", "funder", "provider"))) for o in actors]

    main = direct[0]
    objects, goals, words = VOCAB.get(main.slug, VOCAB["projet-de-territoire"])
    obj = rnd.choice(objects)
    goal = rnd.choice(goals)
    extra = [rnd.choice(VOCAB.get(t.slug, (None, None, words))[2]) for t in direct[1:]]
    place = prof["name"]
    some = rnd.sample(words, k=min(3, len(words)))
    gen = [p["generic"](rnd) for _ in range(4)]
    rare = rnd.choice(RARE_WORDS) if rnd.random() < 0.01 else None

    where = f"à {place}" if prof["kind"] == "commune" else f"— {place}"
    title = f"{rnd.choice(ACTIONS)} {_elide('de', obj)} {where}"
    summary = (
        f"{place} a engagé {obj} pour {goal}. "
        f"Le projet réunit {gen[0]} et {gen[1]} autour de {some[0]}"
        + (f" et de {extra[0]}" if extra else "")
        + f". Il s'appuie sur {some[-1]} et sur un travail de {gen[2]}."
    )
    # Long texts written directly in canonical rich-text HTML (core.richtext): running the
    # converter on every row would cost more than the rest of the generator.
    context = _paragraph(
        f"Le territoire faisait face à des difficultés liées à {some[1 % len(some)]}. "
        f"Les {gen[0]} souhaitaient {goal}, dans un contexte de contraintes budgétaires. "
        f"Un diagnostic partagé avec les {gen[3]} a montré l'intérêt d'une démarche autour de {some[0]}."
    )
    actions = _bullets(
        f"Diagnostic et état des lieux de {some[0]}",
        f"Constitution d'un comité de pilotage réunissant {gen[1]} et {gen[2]}",
        f"Mise en œuvre progressive de {obj}, avec une phase de test",
        "Communication auprès des habitants et suivi des usages",
        *([f"Volet {rare} expérimenté sur un site pilote"] if rare else []),
    )
    results = _paragraph(
        f"Les premiers résultats montrent une bonne appropriation par les {gen[3]}. "
        f"La fréquentation a progressé et {some[-1]} est désormais reconnu localement."
    )
    vigilance = _paragraph(
        f"Prévoir dès le départ les moyens d'animation de {obj}. "
        f"Associer les {gen[0]} tôt et clarifier la gouvernance entre {gen[1]} et {gen[2]}."
    )

    status, visibility = p["state_picker"](rnd)
    start_year = 2026 - min(int(rnd.expovariate(1 / 5)), 20)
    period_start = datetime.date(start_year, rnd.randint(1, 12), 1)
    period_end = None
    project_status = p["project_picker"](rnd)
    if project_status in ("completed", "abandoned"):
        period_end = datetime.date(min(start_year + rnd.randint(0, 4), 2026), 12, 31)
    budget = None
    if rnd.random() < 0.7:
        budget = Decimal(int(min(rnd.lognormvariate(11.5, 1.6), 50_000_000)))
    published_at = None
    if status in ("published", "archived"):
        published_at = now - datetime.timedelta(days=rnd.randint(0, 3650), seconds=rnd.randint(0, 86400))

    # Search columns, as refresh_search_fields computes them (keyword words sorted by code point, like COLLATE "C").
    theme_ids: set[int] = set()
    theme_words: set[str] = set()
    for theme in direct:
        node = theme
        while node is not None:
            theme_ids.add(node.pk)
            theme_words.add(_theme_words(node))
            node = themes_by_id.get(node.parent_id)
    parts = [" ".join(sorted(theme_words)), " ".join(sorted({t.name for t in tag_list}))]
    keywords = " ".join(part for part in parts if part)
    values = {
        "created_at": now,
        "updated_at": now,
        "title": title[:255],
        "title_en": "",
        "slug": f"synthetique-{number}",
        "summary": summary,
        "summary_en": "",
        "context": context,
        "actions": actions,
        "results": results,
        "vigilance_points": vigilance,
        "period_start": period_start,
        "period_end": period_end,
        "project_status": project_status,
        "budget_amount": budget,
        "currency": "EUR",
        "lead_territory_id": territory_id,
        "language": "fr",
        "status": status,
        "visibility": visibility,
        "client_organisation_id": rnd.choice(p["clients"]).pk if visibility == "confidential" else None,
        "author_id": None,
        "published_at": published_at,
        "external_ref": f"{REF_PREFIX}{number}",
        "search_keywords": keywords,
        "search_places": prof["places"],
        "search_theme_ids": sorted(theme_ids),
        "search_tag_ids": sorted(t.pk for t in tag_list),
        "search_org_kinds": sorted({o.kind for o in actors}),
        "search_territory_kind": prof["kind"],
        "search_country": prof["country"],
        "search_region_id": prof["region_id"],
        "search_department_id": prof["department_id"],
        "search_epci_id": prof["epci_id"],
        "search_epci_type": prof["epci_type"],
        "search_population": prof["population"],
        "search_density_class": prof["density_class"],
        "_themes": direct,
        "_tags": tag_list,
        "_actors": actor_roles,
    }
    return values


def delete_synthetic_experiences() -> int:
    """Remove every synthetic fiche (and its links); returns how many."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM experiences_experience WHERE external_ref LIKE %s", [REF_PREFIX + "%"])
        ids = [row[0] for row in cursor.fetchall()]
    _delete_ids(ids)
    return len(ids)


def _delete_ids(ids: list[int]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (
            "experiences_experience_themes",
            "experiences_experience_tags",
            "experiences_experienceorganisation",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE experience_id = ANY(%s)", [ids])  # noqa: S608 - fixed names
        cursor.execute("DELETE FROM experiences_experience WHERE id = ANY(%s)", [ids])
