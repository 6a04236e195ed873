"""The reader's selection of experiences: kept, compared, exported, turned into a study.

Anonymous readers keep it in their session; signed-in readers in `SelectionItem`
rows, so that it follows them from one device to the next. For signed-in
readers the session holds a copy of the ids (tagged with the owner's id):
pages read the selection from the session they load anyway, without a query,
and only writes touch the table. The copy is rebuilt at sign-in (after the
anonymous selection is merged into the table) and whenever the selection page
reads the table.

This module holds both the reads and the writes of the selection: they are few,
small, and all about one session key and one table.
Every list of experiences is read through `Experience.objects.visible_to(user)`.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from .models import Experience, SelectionItem

SESSION_KEY = "periscope_selection"
MAX_ITEMS = 50


class SelectionFull(Exception):
    """The selection already holds MAX_ITEMS experiences."""


def _user(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _store(request, ids: list[int], owner: int | None) -> None:
    request.session[SESSION_KEY] = {"owner": owner, "ids": ids}


def _stored(request) -> tuple[int | None, list[int]] | None:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    ids = [i for i in data.get("ids", []) if isinstance(i, int)]
    return data.get("owner"), ids


def _table_ids(user) -> list[int]:
    return list(
        SelectionItem.objects.filter(user=user).order_by("added_at", "id").values_list("experience_id", flat=True)
    )


def selection_ids(request) -> list[int]:
    """The ids in the reader's selection, oldest first (no query once the session holds them)."""
    user = _user(request)
    stored = _stored(request)
    if user is None:
        return stored[1] if stored and stored[0] is None else []
    if stored and stored[0] == user.pk:
        return stored[1]
    # A session from before sign-in (or from before this feature): rebuild the copy.
    return selection_sync(request)


def selection_count(request) -> int:
    return len(selection_ids(request))


def selection_experiences(request) -> QuerySet:
    """The visible experiences of the selection, in the order they were added (reads the table)."""
    user = _user(request)
    ids = selection_sync(request) if user is not None else selection_ids(request)
    order = {pk: n for n, pk in enumerate(ids)}
    experiences = list(
        Experience.objects.visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("lead_territory")
        .prefetch_related("themes", "tags")
    )
    experiences.sort(key=lambda e: order[e.pk])
    return experiences


# --- Writes -----------------------------------------------------------------------------


@transaction.atomic
def selection_sync(request, *, user=None) -> list[int]:
    """For a signed-in reader: merge an anonymous selection left in the session into the table,
    then copy the table's ids into the session. Returns the ids.

    `user` is given at sign-in, when `request.user` may not be set yet."""
    user = user if user is not None else _user(request)
    if user is None:
        return selection_ids(request)
    stored = _stored(request)
    if stored and stored[0] is None and stored[1]:
        current = set(_table_ids(user))
        room = MAX_ITEMS - len(current)
        wanted = [pk for pk in stored[1] if pk not in current][: max(room, 0)]
        visible = set(Experience.objects.visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True))
        SelectionItem.objects.bulk_create(
            [SelectionItem(user=user, experience_id=pk) for pk in wanted if pk in visible], ignore_conflicts=True
        )
    ids = _table_ids(user)
    _store(request, ids, user.pk)
    return ids


@transaction.atomic
def selection_add(request, *, experience: Experience) -> list[int]:
    """Add one experience the reader may read (the caller fetched it through `visible_to`)."""
    ids = selection_ids(request)
    if experience.pk in ids:
        return ids
    if len(ids) >= MAX_ITEMS:
        raise SelectionFull
    user = _user(request)
    if user is not None:
        item = SelectionItem(user=user, experience=experience)
        item.full_clean(validate_unique=False)
        SelectionItem.objects.bulk_create([item], ignore_conflicts=True)
        ids = _table_ids(user)
    else:
        ids = [*ids, experience.pk]
    _store(request, ids, user.pk if user else None)
    return ids


@transaction.atomic
def selection_remove(request, *, experience_id: int) -> list[int]:
    user = _user(request)
    if user is not None:
        SelectionItem.objects.filter(user=user, experience_id=experience_id).delete()
        ids = _table_ids(user)
    else:
        ids = [pk for pk in selection_ids(request) if pk != experience_id]
    _store(request, ids, user.pk if user else None)
    return ids


@transaction.atomic
def selection_clear(request) -> None:
    user = _user(request)
    if user is not None:
        SelectionItem.objects.filter(user=user).delete()
    _store(request, [], user.pk if user else None)
