"""Search text of the bank: one normal form for indexing and for queries, the bank search and
the near-duplicate warning.

``Item.search_text`` holds the latest version's student-visible text in the form of
:func:`search_key`. Both the search and the duplicate check run inside
``itembank.selectors.items_visible_to``: nothing here decides who may see what.

On PostgreSQL (migration ``0006_search_indexes``) the search matches
``to_tsvector('simple'::regconfig, search_text)``, the expression of a GIN index, against the
query's words (the last one as a prefix) and ranks by ``ts_rank``; the duplicate check computes
pg_trgm's ``similarity`` on the items found through the same index by the text's rarest words
(or, when those are too common, through a GIN ``gin_trgm_ops`` index with pg_trgm's ``%``).

One measured fact shapes the PostgreSQL statements: ``to_tsvector`` of one 250-character text
costs 60-90 us, and the planner does not know it. Asked for the matches of a common word among
a subject's items, it reads the subject's index and computes ``to_tsvector`` row by row (1.2 s
at 100,000 items) instead of reading the GIN index (20-90 ms); ranking every match of a common
word would take seconds too. So the ids of the newest matches come first from the GIN index
alone (``_newest_ids``), and only those are ranked or compared.

On SQLite every query word must occur in the text (``LIKE``), and the duplicate check computes
pg_trgm's similarity in Python over a bounded set of candidates, so that a threshold means the
same on both databases.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from itertools import combinations
from typing import Any

from django.db import connections, transaction
from django.db.models import Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from accounts.models import User
from scoring.item_rules import normalise_text

from .models import Item, ItemVersion, Topic
from .selectors import items_visible_to

# A query longer than this (after normalisation) is cut: nobody types more into a search box,
# and it bounds the work of the database.
MAX_QUERY_CHARS = 200
# PostgreSQL: a search ranks this many of the newest matching items at most (ts_rank needs
# to_tsvector of each); more matches than this ask for another word or a filter.
MAX_RANKED = 300
# The duplicate check looks at this much of a text; a stem is far shorter.
MAX_DUPLICATE_TEXT_CHARS = 5_000
# Normalised texts shorter than this are never reported as duplicates ("x = ?").
MIN_DUPLICATE_TEXT_CHARS = 12
# At most this many items are compared with the text in one duplicate check.
MAX_DUPLICATE_CANDIDATES = 500
# A duplicate check first looks for the items that have enough of this many of the text's
# rarest words (``_probe_words``).
DUPLICATE_PROBE_WORDS = 6
# PostgreSQL: how long the full-text index's word statistics are kept in memory.
LEXEME_STATISTICS_SECONDS = 600
SEARCH_INDEX = "item_search_text_tsv"  # migration 0006

# The GIN index's expression, verbatim: another spelling (COALESCE, a config given as a
# parameter) would not use the index.
TSVECTOR_SQL = "to_tsvector('simple'::regconfig, {column})"
# Words as a tsquery, all required, the last one a prefix ('ham s' -> 'ham' & 's':*).
# PostgreSQL's own parser splits them (plainto_tsquery knows no operators, so the search box
# cannot inject tsquery syntax), then ':*' goes after the last lexeme. Every function here is
# immutable: the planner folds the expression to a constant.
PREFIX_TSQUERY_SQL = (
    "to_tsquery('simple'::regconfig, regexp_replace(plainto_tsquery('simple'::regconfig, {text})::text, '''$', ''':*'))"
)
# A tsquery written out ('a' & 'b' | ...): only for words of letters and digits.
WORDS_TSQUERY_SQL = "to_tsquery('simple'::regconfig, {text})"

_ALNUM = re.compile(r"[^\W_]")  # a letter or digit (pg_trgm's and the text parser's word characters)
_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
_HYPHEN_IN_WORD = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")  # between two letters


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
    """The items ``user`` may see that have the words ``q`` and pass every filter given.

    ``q`` is compared without case or diacritics ("ham so" finds "Hàm số"); every word must
    occur, the last one as a prefix ("ham s" finds "hàm số"); ``query_terms`` bounds it.
    ``subject``, ``topic``, ``owner`` (an organisation) and ``author`` (a user) are ids;
    ``topic`` takes the topics below it too; ``status`` is the latest version's.

    Without words: every such item, newest first. With words, on PostgreSQL: the
    ``MAX_RANKED`` newest matches, best first (``search_rank``, then newest); on SQLite every
    match, newest first. Callers slice.
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
        # A version with the status and none after it; as EXISTS the planner may hash it.
        later = ItemVersion.objects.filter(item_id=OuterRef("item_id"), number__gt=OuterRef("number"))
        latest = ItemVersion.objects.filter(item_id=OuterRef("pk"), status=status).exclude(Exists(later))
        items = items.filter(Exists(latest))
    terms = query_terms(q)
    if not terms:
        return items.order_by("-id")
    text = " ".join(terms)
    if connections[items.db].vendor == "postgresql":
        # to_tsquery would read a hyphenated word ("mac-san") as a phrase, which only each
        # row's to_tsvector can check (110 ms for "ke hoach mac-san", measured); its parts
        # are indexed too, and they are asked for instead.
        text = _HYPHEN_IN_WORD.sub(" ", text)
        where = f"{TSVECTOR_SQL.format(column='search_text')} @@ {PREFIX_TSQUERY_SQL.format(text='%s')}"
        ids = _newest_ids(items, where, [text], MAX_RANKED)
        return (
            items.filter(pk__in=ids)
            .annotate(search_rank=_SearchRank(F("search_text"), text))
            .order_by("-search_rank", "-id")
        )
    for term in terms:
        items = items.filter(search_text__contains=term)
    return items.order_by("-id")


class _SearchRank(Func):
    """``ts_rank`` of a text column against the prefix query of the given words."""

    output_field = FloatField()

    def __init__(self, column: F, text: str) -> None:
        super().__init__(column, Value(text))

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        column_sql, column_params = compiler.compile(self.source_expressions[0])
        text_sql, text_params = compiler.compile(self.source_expressions[1])
        vector = TSVECTOR_SQL.format(column=column_sql)
        return f"ts_rank({vector}, {PREFIX_TSQUERY_SQL.format(text=text_sql)})", [*column_params, *text_params]


def _newest_ids(items: QuerySet[Item], where: str, params: list[Any], limit: int, **settings: str) -> list[int]:
    """The ids of the ``limit`` newest of ``items`` that satisfy ``where`` (SQL on the item
    table), which must be answered from a GIN index, never evaluated row by row.

    ``where`` sits alone in a subquery the planner cannot merge into the outer query
    (``OFFSET 0``): with sequential scans off for this one statement, its only way is the
    index. The outer query filters and orders as it likes; it evaluates nothing costly.
    ``settings`` are further PostgreSQL settings for the statement.
    """
    table = connections[items.db].ops.quote_name(Item._meta.db_table)
    matching = RawSQL(f"SELECT id FROM {table} WHERE {where} OFFSET 0", params)
    newest = items.filter(pk__in=matching).order_by("-id").values_list("pk", flat=True)[:limit]
    with _local_settings(items.db, enable_seqscan="off", **settings):
        return list(newest)


@contextmanager
def _local_settings(using: str, **settings: str) -> Iterator[None]:
    """PostgreSQL settings for the statements of the block only (put back afterwards, in case
    the caller's transaction goes on)."""
    connection = connections[using]
    inside_a_transaction = connection.in_atomic_block
    with transaction.atomic(using=using), connection.cursor() as cursor:
        previous = {}
        for name, value in settings.items():
            cursor.execute("SELECT current_setting(%s, true), set_config(%s, %s, true)", [name, name, value])
            previous[name] = cursor.fetchone()[0]
        yield
        # (On an error the block's rollback, to its savepoint or in full, undoes them; so
        # does the commit of a transaction of the block's own.)
        if inside_a_transaction:
            for name, value in previous.items():
                if value is not None:
                    cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


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
    for word in _WORD.findall(text.lower()):
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
    similarity is pg_trgm's on both databases: the share of distinct word trigrams the two
    texts have in common (Jaccard, 0..1); an item is returned when it is at least
    ``threshold``. Most similar first (ties: newest first), at most ``limit``. A normalised
    text shorter than ``MIN_DUPLICATE_TEXT_CHARS`` has no duplicates.

    Only the items that have enough of the text's rarest words (``_probe_words``,
    ``_probe_need``) are compared, at most ``MAX_DUPLICATE_CANDIDATES`` (the newest): a text
    that much alike keeps most of its words. So an item barely above the threshold may be
    missed (on the benchmark's bank, items 0.60-0.66 alike in 14 checks of 100); a copy with
    a word or two changed is not. Tuned for thresholds from 0.6 up.
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


class _TrigramSimilarity(Func):
    function = "similarity"
    output_field = FloatField()


def _near_duplicates_postgresql(
    candidates: QuerySet[Item], key: str, *, limit: int, threshold: float
) -> list[tuple[Item, float]]:
    """pg_trgm's ``similarity`` on the items that have enough of the text's rarest words.

    pg_trgm's own index (``search_text % key``) reads the posting list of every trigram of the
    text, and Vietnamese syllables share their trigrams with much of the bank: 150-400 ms for a
    250-character stem at 100,000 items (measured), before the recheck. The probe words find
    the candidates in the full-text index in a few milliseconds. When more than
    ``MAX_DUPLICATE_CANDIDATES`` items have them, a candidate must have more of them, up to
    all but one; when even that is common (short plain texts, whose few trigrams make the
    trigram index cheap), the trigram index answers instead.
    """
    words = _probe_words(key, _lexeme_frequencies(candidates.db))
    where = f"{TSVECTOR_SQL.format(column='search_text')} @@ {WORDS_TSQUERY_SQL.format(text='%s')}"
    need = _probe_need(words, threshold)
    while True:
        ids = _newest_ids(candidates, where, [_probe_tsquery(words, need)], MAX_DUPLICATE_CANDIDATES + 1)
        if len(ids) <= MAX_DUPLICATE_CANDIDATES or need >= len(words) - 1 or threshold < 0.6:
            break
        need += 1  # too many items have these words: ask for more of them (still one may differ)
    if len(ids) > MAX_DUPLICATE_CANDIDATES:
        # `%` reads its threshold from a setting: set for this statement only.
        threshold_setting = {"pg_trgm.similarity_threshold": str(float(threshold))}
        ids = _newest_ids(candidates, "search_text %% %s", [key], MAX_DUPLICATE_CANDIDATES, **threshold_setting)
    found = (
        candidates.filter(pk__in=ids)
        .annotate(similarity=_TrigramSimilarity(F("search_text"), Value(key)))
        .filter(similarity__gte=threshold)
        .order_by("-similarity", "-id")[:limit]
    )
    return [(item, item.similarity) for item in found]


def _near_duplicates_python(
    candidates: QuerySet[Item], key: str, *, limit: int, threshold: float
) -> list[tuple[Item, float]]:
    # The same probe as on PostgreSQL, with no word statistics (the longest words first), as
    # substrings.
    words = _probe_words(key, {})
    condition = Q()
    for group in combinations(words, _probe_need(words, threshold)):
        condition |= Q(*(Q(search_text__contains=word) for word in group))
    rows = candidates.filter(condition).order_by("-id").values_list("pk", "search_text")[:MAX_DUPLICATE_CANDIDATES]
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


def _probe_words(key: str, frequencies: dict[str, float]) -> list[str]:
    """The ``DUPLICATE_PROBE_WORDS`` rarest words of ``key``: least frequent, then longest;
    words with digits last (a copy with other numbers is still a near duplicate); a word next
    to one already chosen only when others run out (the words of one phrase come together, so
    they tell little more than one of them)."""
    words = _WORD.findall(key)
    positions: dict[str, list[int]] = {}
    for position, word in enumerate(words):
        positions.setdefault(word, []).append(position)
    ranked = sorted(
        positions, key=lambda word: (_DIGIT.search(word) is not None, frequencies.get(word, 0.0), -len(word), word)
    )
    chosen: list[str] = []
    taken: set[int] = set()
    for word in ranked:
        if not any(p - 1 in taken or p + 1 in taken for p in positions[word]):
            chosen.append(word)
            taken.update(positions[word])
    chosen += [word for word in ranked if word not in chosen]
    return chosen[:DUPLICATE_PROBE_WORDS]


def _probe_need(words: list[str], threshold: float) -> int:
    """How many probe words a candidate must have: half of them (a text changed in a word or
    two keeps most), or any one for a threshold under 0.6, where much may differ."""
    return max(1, (len(words) + 1) // 2) if threshold >= 0.6 else 1


def _probe_tsquery(words: list[str], need: int) -> str:
    """At least ``need`` of ``words`` (letters and digits only): ``('a' & 'b') | ('a' & 'c') | ...``."""
    return " | ".join("(" + " & ".join(f"'{word}'" for word in group) + ")" for group in combinations(words, need))


_LEXEME_FREQUENCIES: dict[str, tuple[float, dict[str, float]]] = {}


def _lexeme_frequencies(using: str) -> dict[str, float]:
    """The share of items with each of the most common words, from the planner's statistics of
    the full-text index (``ANALYZE``; autovacuum keeps them); words not listed are rarer."""
    cached_at, frequencies = _LEXEME_FREQUENCIES.get(using, (0.0, {}))
    if time.monotonic() - cached_at > LEXEME_STATISTICS_SECONDS:
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = %s",
                [SEARCH_INDEX],
            )
            row = cursor.fetchone()
        frequencies = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
        _LEXEME_FREQUENCIES[using] = (time.monotonic(), frequencies)
    return frequencies
