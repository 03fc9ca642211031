"""Search text of the bank: one normal form for indexing and for queries, the bank search and
the near-duplicate warning.

``Item.search_text`` holds the latest version's student-visible text in the form of
:func:`search_key`. Both the search and the duplicate check run inside
``itembank.selectors.items_visible_to``: nothing here decides who may see what.

On PostgreSQL (migration ``0006_search_indexes``):

- the search matches ``to_tsvector('simple'::regconfig, search_text)`` (a GIN expression
  index on exactly that expression) against the query's words, the last one as a prefix,
  and ranks by ``ts_rank``;
- the duplicate check uses pg_trgm's ``%`` operator (a GIN ``gin_trgm_ops`` index on
  ``search_text``) with ``pg_trgm.similarity_threshold`` set for the one query.

On SQLite every query word must occur in the text (``LIKE``), and the duplicate check computes
pg_trgm's similarity in Python over a bounded set of candidates, so that a threshold means
the same on both databases.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.contrib.postgres.search import SearchQueryField, SearchVectorField
from django.db import connections, transaction
from django.db.models import BooleanField, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Value

from accounts.models import User
from scoring.item_rules import normalise_text

from .models import Item, ItemVersion, Topic
from .selectors import items_visible_to

# A query longer than this (after normalisation) is cut: nobody types more into a search box,
# and it bounds the work of the database.
MAX_QUERY_CHARS = 200
# The duplicate check looks at this much of a text; a stem is far shorter.
MAX_DUPLICATE_TEXT_CHARS = 5_000
# Normalised texts shorter than this are never reported as duplicates ("x = ?").
MIN_DUPLICATE_TEXT_CHARS = 12
# SQLite only: at most this many items are compared in Python for one duplicate check.
MAX_DUPLICATE_CANDIDATES = 2_000

TSVECTOR_SQL = "to_tsvector('simple'::regconfig, {column})"  # the index expression, verbatim
_ALNUM = re.compile(r"[^\W_]")  # a letter or digit (pg_trgm's and the text parser's word characters)
_TRIGRAM_WORD = re.compile(r"[^\W_]+")


def search_key(text: str) -> str:
    """Lower case, no diacritics (``đ`` is ``d``), single spaces: "Hàm  SỐ" -> "ham so"."""
    return normalise_text(text, ignore_diacritics=True)


def query_terms(q: str) -> list[str]:
    """The words of a search box input, normalised and bounded.

    The input is cut to ``MAX_QUERY_CHARS`` after normalisation; words without a letter or
    digit (``&``, ``:*``, ``!``) are dropped, so the query syntax of neither database can be
    reached from the search box.
    """
    key = search_key(q[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS]
    return [word for word in key.split() if _ALNUM.search(word)]


def topic_subtree_ids(topic_id: int) -> set[int]:
    """The topic and every topic below it (chapters contain lessons contain topics)."""
    found = {topic_id}
    frontier = [topic_id]
    while frontier:
        children = Topic.objects.filter(parent_id__in=frontier).values_list("id", flat=True)
        frontier = [child for child in children if child not in found]
        found.update(frontier)
    return found


class _SearchVector(Func):
    """``to_tsvector('simple'::regconfig, <column>)``: must stay equal to the GIN index's expression."""

    template = TSVECTOR_SQL.format(column="%(expressions)s")
    output_field = SearchVectorField()


class _PrefixQuery(Func):
    """The words as a tsquery, all required, the last one matched as a prefix ('ham s' -> 'ham' & 's':*).

    PostgreSQL's own parser splits the words (``plainto_tsquery``, which knows no operators,
    so user input cannot inject tsquery syntax), then ``:*`` is put after the last lexeme.
    Every function here is immutable: the planner folds the whole expression to a constant.
    """

    template = (
        "to_tsquery('simple'::regconfig, regexp_replace(plainto_tsquery('simple'::regconfig, %(expressions)s)::text, "
        "'''$', ''':*'))"
    )
    output_field = SearchQueryField()


class _Matches(Func):
    """``<tsvector> @@ <tsquery>``."""

    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()


class _Rank(Func):
    function = "ts_rank"
    output_field = FloatField()


class _TrigramSimilar(Func):
    """pg_trgm's ``<text> % <text>``: similarity at least ``pg_trgm.similarity_threshold``."""

    template = "%(expressions)s"
    arg_joiner = " %% "
    output_field = BooleanField()


class _TrigramSimilarity(Func):
    function = "similarity"
    output_field = FloatField()


def search_items(
    user: User,
    *,
    q: str = "",
    subject: int | None = None,
    topic: int | None = None,
    level: str | None = None,
    item_type: str | None = None,
    grade: int | None = None,
    status: str | None = None,
    visibility: str | None = None,
    owner: int | None = None,
    author: int | None = None,
) -> QuerySet[Item]:
    """The items ``user`` may see that match the words ``q`` and every filter given.

    ``q`` is compared without case or diacritics ("ham so" finds "Hàm số"); every word must
    occur, the last one as a prefix. ``topic`` includes the topics below it; ``status`` is
    the latest version's. Filters take ids (``subject``, ``topic``, ``owner``, ``author``) or
    codes. On PostgreSQL the items come best match first (``search_rank``, then newest), on
    SQLite newest first. Unbounded: callers slice.
    """
    items = items_visible_to(user)
    filters = {
        "subject_id": subject,
        "level": level,
        "item_type": item_type,
        "grade": grade,
        "visibility": visibility,
        "owner_id": owner,
        "author_id": author,
    }
    items = items.filter(**{name: value for name, value in filters.items() if value is not None})
    if topic is not None:
        items = items.filter(topic_id__in=topic_subtree_ids(topic))
    if status is not None:
        latest = ItemVersion.objects.filter(item_id=OuterRef("pk")).order_by("-number").values("status")[:1]
        items = items.alias(latest_status=Subquery(latest)).filter(latest_status=status)
    terms = query_terms(q)
    if not terms:
        return items.order_by("-id")
    if connections[items.db].vendor == "postgresql":
        vector = _SearchVector(F("search_text"))
        query = _PrefixQuery(Value(" ".join(terms)))
        return (
            items.filter(_Matches(vector, query))
            .annotate(search_rank=_Rank(vector, query))
            .order_by("-search_rank", "-id")
        )
    for term in terms:
        items = items.filter(search_text__contains=term)
    return items.order_by("-id")


def plain_text(text: str) -> str:
    """The normalised text of raw HTML or plain text, as ``Item.search_text`` holds it."""
    if "<" in text or "&" in text:
        collector = _TextCollector()
        collector.feed(text)
        collector.close()
        text = " ".join(collector.parts)
    return search_key(text)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigram set of a text: each word (letters and digits) lower-cased, padded
    with two spaces before and one after, cut into every run of three characters."""
    found: set[str] = set()
    for word in _TRIGRAM_WORD.findall(text.lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def trigram_similarity(a: set[str], b: set[str]) -> float:
    """pg_trgm's ``similarity``: shared trigrams over all trigrams (Jaccard), 0 for two empty sets."""
    shared = len(a & b)
    union = len(a) + len(b) - shared
    return shared / union if union else 0.0


def near_duplicates(
    *,
    text: str,
    subject_id: int,
    user: User,
    exclude_item_id: int | None = None,
    limit: int = 5,
    threshold: float = 0.6,
) -> list[tuple[Item, float]]:
    """Items of the subject, among those ``user`` may see, whose text is much like ``text``.

    ``text`` is raw HTML or plain text; it is normalised as ``Item.search_text`` is. The
    similarity is pg_trgm's: the share of distinct word trigrams the two texts have in common
    (Jaccard, 0..1); an item is returned when it is at least ``threshold``. Most similar
    first (ties: newest first), at most ``limit``. A normalised text shorter than
    ``MIN_DUPLICATE_TEXT_CHARS`` has no duplicates.
    """
    key = plain_text(text[: MAX_DUPLICATE_TEXT_CHARS * 4])[:MAX_DUPLICATE_TEXT_CHARS]
    if len(key) < MIN_DUPLICATE_TEXT_CHARS or limit <= 0 or not _ALNUM.search(key):
        return []
    candidates = items_visible_to(user).filter(subject_id=subject_id)
    if exclude_item_id is not None:
        candidates = candidates.exclude(pk=exclude_item_id)
    if connections[candidates.db].vendor == "postgresql":
        return _near_duplicates_postgresql(candidates, key, limit=limit, threshold=threshold)
    return _near_duplicates_python(candidates, key, limit=limit, threshold=threshold)


def _near_duplicates_postgresql(
    candidates: QuerySet[Item], key: str, *, limit: int, threshold: float
) -> list[tuple[Item, float]]:
    # `%` can use the trigram index; its threshold is a setting, changed for this query only
    # (local to the transaction, and put back in case the caller's transaction goes on).
    setting = "pg_trgm.similarity_threshold"
    found = (
        candidates.filter(_TrigramSimilar(F("search_text"), Value(key)))
        .annotate(similarity=_TrigramSimilarity(F("search_text"), Value(key)))
        .order_by("-similarity", "-id")[:limit]
    )
    with transaction.atomic(using=candidates.db):
        with connections[candidates.db].cursor() as cursor:
            cursor.execute(
                "SELECT current_setting(%s, true), set_config(%s, %s, true)", [setting, setting, str(float(threshold))]
            )
            previous = cursor.fetchone()[0]
            try:
                items = list(found)
            finally:
                cursor.execute("SELECT set_config(%s, %s, true)", [setting, previous or "0.3"])
    return [(item, item.similarity) for item in items]


def _near_duplicates_python(
    candidates: QuerySet[Item], key: str, *, limit: int, threshold: float
) -> list[tuple[Item, float]]:
    # A duplicate shares most words: prefilter on the longest ones (the most telling, and
    # the rarest as a rule), then compare at most MAX_DUPLICATE_CANDIDATES texts.
    words = sorted(
        {word for word in _TRIGRAM_WORD.findall(key) if len(word) >= 3}, key=lambda word: (-len(word), word)
    )[:3]
    if words:
        condition = Q()
        for word in words:
            condition |= Q(search_text__contains=word)
        candidates = candidates.filter(condition)
    rows = candidates.order_by("-id").values_list("pk", "search_text")[:MAX_DUPLICATE_CANDIDATES]
    wanted = trigrams(key)
    scored = []
    for pk, search_text in rows:
        similarity = trigram_similarity(wanted, trigrams(search_text))
        if similarity >= threshold:
            scored.append((similarity, pk))
    scored.sort(key=lambda pair: (-pair[0], -pair[1]))
    scored = scored[:limit]
    by_pk = candidates.in_bulk([pk for _, pk in scored])
    return [(by_pk[pk], similarity) for similarity, pk in scored if pk in by_pk]
