"""factory_boy factories for every app (one module keeps cross-app SubFactories simple)."""

import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import ROLE_GROUPS, Role
from experiences.models import Contact, Experience, Organisation, Tag, Theme
from partnerships.models import Deliverable, Partnership, PartnershipFunding, PartnershipParty
from studies.models import Criterion, Study, StudyExperience
from territories.models import Territory


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    kind = Territory.Kind.COMMUNE
    country = "FR"
    code = factory.Sequence(lambda n: f"{(n % 90) + 1:02d}{n:03d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    slug = factory.Sequence(lambda n: f"commune-{n}")
    population = 2500
    population_year = 2022
    area_km2 = 20.0


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = Organisation.Kind.COLLECTIVITE


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Thème {n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"mot-clé {n}")
    slug = factory.Sequence(lambda n: f"mot-cle-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted and extracted != Role.VISITOR:
            group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[Role(extracted)])
            self.groups.add(group)
            if extracted == Role.STAFF:
                self.is_staff = True
        self.save()


class ExperienceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Experience
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Expérience {n}")
    slug = factory.Sequence(lambda n: f"experience-{n}")
    summary = "Un résumé de l'expérience."
    lead_territory = factory.SubFactory(TerritoryFactory)
    status = Experience.Status.PUBLISHED
    visibility = Experience.Visibility.PUBLIC
    published_at = factory.LazyFunction(timezone.now)
    period_start = datetime.date(2020, 1, 1)

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(extracted)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    experience = factory.SubFactory(ExperienceFactory)
    name = "Camille Martin"
    email = "camille.martin@example.org"
    phone = "+33 1 23 45 67 89"


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study

    title = factory.Sequence(lambda n: f"Étude {n}")
    slug = factory.Sequence(lambda n: f"etude-{n}")
    client_organisation = factory.SubFactory(OrganisationFactory)
    question = "Comment ouvrir un tiers-lieu ?"


class StudyExperienceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudyExperience

    study = factory.SubFactory(StudyFactory)
    experience = factory.SubFactory(ExperienceFactory)


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    study = factory.SubFactory(StudyFactory)
    name = factory.Sequence(lambda n: f"Critère {n}")


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    title = factory.Sequence(lambda n: f"Partenariat {n}")
    slug = factory.Sequence(lambda n: f"partenariat-{n}")
    kind = Partnership.Kind.TWINNING
    start_date = datetime.date(2020, 1, 1)


class PartnershipPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnershipParty

    partnership = factory.SubFactory(PartnershipFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class PartnershipFundingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnershipFunding

    partnership = factory.SubFactory(PartnershipFactory)
    funder = factory.SubFactory(OrganisationFactory)
    year = 2024
    amount = 5000


class DeliverableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deliverable

    partnership = factory.SubFactory(PartnershipFactory)
    title = factory.Sequence(lambda n: f"Livrable {n}")
    due_date = datetime.date(2026, 12, 1)
