"""A small world with one object in each visibility state, each carrying a unique
canary word, and one account per role.

A canary word of an object hidden from a role must appear in no response that role
gets; the `…pii` canary of a contact must appear in no response of a role that may
not see personal data.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.roles import Role
from accounts.visibility import can_see_personal_data
from experiences.models import Attachment, Contact, Experience, ExperienceOrganisation, Organisation, Source
from partnerships.models import Deliverable, Partnership, PartnershipDocument, PartnershipFunding, PartnershipParty
from studies.models import ReportVersion, Study, StudyExperience
from tests.factories import (
    ExperienceFactory,
    OrganisationFactory,
    TagFactory,
    TerritoryFactory,
    ThemeFactory,
    UserFactory,
)

PASSWORD = "secret-pass-123"  # the factories' password

# Experience states of the issue: draft, (review), published, members-only,
# confidential to A, confidential to B, archived.
EXPERIENCE_STATES = {
    "draft": {"status": "draft", "visibility": "public", "published_at": None},
    "review": {"status": "review", "visibility": "members", "published_at": None},
    "published": {"status": "published", "visibility": "public"},
    "members": {"status": "published", "visibility": "members"},
    "confa": {"status": "published", "visibility": "confidential", "client": "a"},
    "confb": {"status": "published", "visibility": "confidential", "client": "b"},
    "archived": {"status": "archived", "visibility": "public"},
}

# THE expected visibility of experiences per role (pins the rule itself; every route is
# then checked against `visible_to`, which must agree with this table).
EXPECTED_EXPERIENCES = {
    "visitor": {"published"},
    "registered": {"published"},
    "member": {"published", "members", "confa"},
    "member_b": {"published", "members", "confb"},
    "consultant": {"draft", "review", "published", "members", "archived"},
    "staff": set(EXPERIENCE_STATES),
}
EXPECTED_PARTNERSHIPS = {
    "visitor": {"public"},
    "registered": {"public"},
    "member": {"public", "members", "confa"},
    "member_b": {"public", "members", "confb"},
    "consultant": {"public", "members"},
    "staff": {"public", "members", "confa", "confb"},
}
EXPECTED_STUDIES = {
    "visitor": set(),
    "registered": set(),
    "member": set(),
    "member_b": set(),
    "consultant": {"a"},  # on study A's team
    "staff": {"a", "b"},
}
# Organisations named only in one place: they are as visible as that place (or vetted).
EXPECTED_ORGANISATIONS = {
    "visitor": {"a", "vetted", "published"},
    "registered": {"a", "vetted", "published"},
    "member": {"a", "vetted", "published", "confa"},
    "member_b": {"a", "b", "vetted", "published", "confb"},
    "consultant": {"a", "vetted", "published", "draft"},
    "staff": {"a", "b", "vetted", "published", "draft", "confa", "confb"},
}
# Report versions of study A: v1 holds the published fiche, v2 also the fiche confidential
# to client A, which the consultant on the study's team may not read.
EXPECTED_REPORT_VERSIONS = {
    "visitor": set(),
    "registered": set(),
    "member": set(),
    "member_b": set(),
    "consultant": {"a1"},
    "staff": {"a1", "a2", "b1"},
}
ROLES = list(EXPECTED_EXPERIENCES)


def word(kind: str, state: str) -> str:
    return f"zq{kind}{state}canari"


@dataclasses.dataclass
class World:
    users: dict[str, object]
    experiences: dict[str, Experience]
    partnerships: dict[str, Partnership]
    studies: dict[str, Study]
    org_a: object
    org_b: object
    territory: object
    objects: list  # every object whose URL a route may take
    organisations: dict = dataclasses.field(default_factory=dict)
    versions: dict = dataclasses.field(default_factory=dict)

    def user(self, role: str):
        return self.users.get(role) or AnonymousUser()

    def canaries(self) -> dict[object, str]:
        """object -> its canary word."""
        result = {}
        for state, exp in self.experiences.items():
            result[exp] = word("exp", state)
        for state, part in self.partnerships.items():
            result[part] = word("part", state)
        for state, study in self.studies.items():
            result[study] = word("study", state)
        for state, organisation in self.organisations.items():
            result[organisation] = word("org", state)
        return result

    def forbidden_words(self, role: str) -> dict[str, str]:
        """word -> why it must not appear in any response to this role."""
        user = self.user(role)
        words = {}
        for obj, canary in self.canaries().items():
            if not type(obj).objects.visible_to(user).filter(pk=obj.pk).exists():
                words[canary] = f"{type(obj).__name__} {obj.slug} is hidden from {role}"
        if not can_see_personal_data(user):
            for state in EXPERIENCE_STATES:
                words.setdefault(word("exp", state) + "pii", f"contact of {state} experience (personal data)")
            words.setdefault("06 99 88 77", "contact phone numbers (personal data)")
        return words


def build_world() -> World:
    org_a = OrganisationFactory(name="Commune cliente A", slug="commune-cliente-a")
    org_b = OrganisationFactory(name="Commune cliente B", slug="commune-cliente-b")
    territory = TerritoryFactory(name="Chabanière", slug="chabaniere-test", code="69228")
    theme = ThemeFactory(name="Tiers-lieux", slug="tiers-lieux-test")
    users = {
        "registered": UserFactory(username="registered"),
        "member": UserFactory(username="member", role=Role.MEMBER, organisation=org_a),
        "member_b": UserFactory(username="member_b", role=Role.MEMBER, organisation=org_b),
        "consultant": UserFactory(username="consultant", role=Role.CONSULTANT),
        "staff": UserFactory(username="staff", role=Role.STAFF),
    }
    experiences = {}
    for i, (state, spec) in enumerate(EXPERIENCE_STATES.items()):
        spec = dict(spec)
        client = {"a": org_a, "b": org_b}.get(spec.pop("client", None))
        canary = word("exp", state)
        tag = TagFactory(name=f"{canary} mot", slug=f"mot-cle-{state}")
        exp = ExperienceFactory(
            title=f"Tiers-lieu {canary}",
            slug=f"experience-{state}",
            summary=f"Résumé {canary} de l'expérience.",
            context=f"Contexte {canary}.",
            lead_territory=territory,
            client_organisation=client,
            themes=[theme],
            tags=[tag],
            **spec,
        )
        if client is not None:
            exp.client_organisation = client
        Contact.objects.create(
            experience=exp,
            name=f"Camille {canary}pii",
            email=f"{canary}pii@example.org",
            phone=f"06 99 88 77 {i:02d}",
        )
        Source.objects.create(experience=exp, title=f"Source {canary}")
        attachment = Attachment(experience=exp, title=f"Annexe {state}", content_type="application/pdf", size=40)
        attachment.file.save(f"annexe-{state}.pdf", ContentFile(f"%PDF-1.4 fichier {canary}".encode()), save=False)
        attachment.save()
        experiences[state] = exp

    # An organisation typed only into one fiche (as actor), and one vetted by staff.
    organisations = {
        "vetted": Organisation.objects.create(name=f"Réseau {word('org', 'vetted')}", slug="org-vetted", vetted=True)
    }
    for state in ("draft", "published", "confa", "confb"):
        organisation = Organisation.objects.create(name=f"Association {word('org', state)}", slug=f"org-{state}")
        ExperienceOrganisation.objects.create(experience=experiences[state], organisation=organisation)
        organisations[state] = organisation

    partnerships = {}
    for state, visibility, party in [
        ("public", "public", None),
        ("members", "members", None),
        ("confa", "confidential", org_a),
        ("confb", "confidential", org_b),
    ]:
        canary = word("part", state)
        part = Partnership.objects.create(
            title=f"Jumelage {canary}",
            slug=f"partenariat-{state}",
            kind=Partnership.Kind.TWINNING,
            visibility=visibility,
            description=f"Description {canary}.",
            start_date=datetime.date(2020, 1, 1),
        )
        if party is not None:
            PartnershipParty.objects.create(partnership=part, organisation=party)
        deliverable = Deliverable(partnership=part, title=f"Livrable {canary}", due_date=datetime.date(2026, 6, 1))
        deliverable.file.save(f"livrable-{state}.pdf", ContentFile(f"%PDF-1.4 livrable {canary}".encode()), save=False)
        deliverable.save()
        document = PartnershipDocument(partnership=part, title=f"Convention {state}")
        document.file.save(f"convention-{state}.pdf", ContentFile(f"%PDF-1.4 convention {canary}".encode()), save=False)
        document.save()
        PartnershipFunding.objects.create(partnership=part, funder=org_a, year=2024, amount=5000)
        part.experiences.add(experiences["published"])
        partnerships[state] = part

    studies = {}
    for state, client, hidden_exp in [("a", org_a, "confa"), ("b", org_b, "confb")]:
        canary = word("study", state)
        study = Study.objects.create(
            title=f"Étude {canary}",
            slug=f"etude-{state}",
            client_organisation=client,
            question=f"Question {canary} ?",
            conclusions=f"Conclusions {canary}.",
        )
        StudyExperience.objects.create(study=study, experience=experiences[hidden_exp], analysis_note=f"Note {canary}")
        studies[state] = study
    # Study A: v1 holds the published fiche only; v2 also the fiche confidential to A.
    # Study B: v1 holds the fiche confidential to B.
    versions = {}
    for key, state, number, fiches in [
        ("a1", "a", 1, ["published"]),
        ("a2", "a", 2, ["published", "confa"]),
        ("b1", "b", 1, ["confb"]),
    ]:
        study = studies[state]
        canaries = " ".join(word("exp", f) for f in fiches)
        version = ReportVersion(
            study=study,
            number=number,
            checksum="0" * 64,
            pages=1,
            experience_ids=sorted(experiences[f].pk for f in fiches),
            snapshot={
                "title": study.title,
                "items": [
                    {
                        "experience": {
                            "id": experiences[f].pk,
                            "title": experiences[f].title,
                            "slug": experiences[f].slug,
                        }
                    }
                    for f in fiches
                ],
                "contacts": [f"{word('exp', f)}pii@example.org" for f in fiches],
            },
        )
        content = f"%PDF-1.4 {word('study', state)} {canaries}".encode()
        version.file.save(f"rapport-{key}.pdf", ContentFile(content), save=False)
        version.save()
        versions[key] = version
    studies["a"].team.add(users["consultant"])

    objects = [
        *experiences.values(),
        *partnerships.values(),
        *studies.values(),
        org_a,
        org_b,
        territory,
        theme,
        *[tag for exp in experiences.values() for tag in exp.tags.all()],
        *organisations.values(),
        *Deliverable.objects.all(),
        *PartnershipDocument.objects.all(),
        *Attachment.objects.all(),
        *ReportVersion.objects.all(),
        *StudyExperience.objects.all(),
        *Contact.objects.all(),
        *users.values(),
    ]
    for exp in experiences.values():
        # published_at may be set by the factory for every state; only the date matters here.
        if exp.status == "archived" and exp.published_at is None:
            exp.published_at = timezone.now()
            exp.save(update_fields=["published_at"])
    return World(
        users=users,
        experiences=experiences,
        partnerships=partnerships,
        studies=studies,
        org_a=org_a,
        org_b=org_b,
        territory=territory,
        objects=objects,
        organisations=organisations,
        versions=versions,
    )
