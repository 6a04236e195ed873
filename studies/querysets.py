from __future__ import annotations

from django.db import models
from django.db.models import F, Func, OuterRef, Q, Subquery

from accounts.roles import Role, role_of


class StudyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every study; others only the studies whose team they are on."""
        role = role_of(user)
        if role == Role.STAFF:
            return self
        if role == Role.VISITOR:
            return self.none()
        return self.filter(Q(team=user) | Q(lead=user)).distinct()


class ReportJobQuerySet(models.QuerySet):
    """Report jobs are visible exactly when their study is."""

    def visible_to(self, user):
        from .models import Study

        return self.filter(study__in=Study.objects.visible_to(user).values("pk"))


class ReportVersionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A version is visible when its study is AND the user may read every fiche the
        PDF contains (a team consultant does not get a fiche confidential to another
        client through the report staff generated). A fiche deleted since counts as
        unreadable. One query: the readable fiches among the version's are counted in a
        correlated subquery and compared with the array's length."""
        from experiences.models import Experience

        from .models import Study

        qs = self.filter(study__in=Study.objects.visible_to(user).values("pk"))
        q = Experience.objects.visibility_q(user)
        if q is None:
            return qs
        # "fiche.id = ANY(version.experience_ids)" (an exact lookup would parenthesise ANY).
        in_version = Func(
            F("pk"),
            OuterRef("experience_ids"),
            template="(%(expressions)s))",
            arg_joiner=" = ANY(",
            output_field=models.BooleanField(),
        )
        readable = Experience.objects.filter(q, in_version).order_by().values(n=Func(F("pk"), function="COUNT"))
        length = Func(F("experience_ids"), function="cardinality", output_field=models.IntegerField())
        return qs.alias(readable=Subquery(readable, output_field=models.IntegerField()), fiches=length).filter(
            readable=F("fiches")
        )


def organisation_link(user):
    """The client of a study is visible to whoever may read the study (its team, staff)
    (registered with experiences.querysets.register_organisation_link)."""
    from django.db.models import Exists

    from .models import Study

    return Exists(Study.objects.visible_to(user).filter(client_organisation=OuterRef("pk")))
