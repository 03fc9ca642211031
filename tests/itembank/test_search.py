"""Bank search and the near-duplicate warning (itembank.textsearch).

The unmarked tests run on whichever database the run uses (SQLite by default, PostgreSQL with
DATABASE_URL), so the same expectations hold for the LIKE fallback and for full-text search;
the tests marked ``services`` check what only PostgreSQL has (ranking, the indexes, pg_trgm).
"""

from __future__ import annotations

import random
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from itembank.models import Item, ItemType, ItemVersion, Subject, Topic, Visibility
from itembank.textsearch import (
    MAX_QUERY_CHARS,
    near_duplicates,
    query_terms,
    search_items,
    search_key,
    trigram_similarity,
    trigrams,
)
from tests.factories import make_department, make_school, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_word_statistics(monkeypatch):
    """Each test reads the word statistics of its own table (they are cached for minutes)."""
    monkeypatch.setattr("itembank.textsearch._LEXEME_FREQUENCIES", {})


STEM = (
    "Cho hàm số bậc hai có đồ thị là parabol đi qua ba điểm phân biệt trên mặt phẳng tọa độ. "
    "Tìm tọa độ đỉnh của parabol đó."
)  # 20 words
STEM_ONE_WORD_CHANGED = STEM.replace("ba điểm", "hai điểm")
UNRELATED = "Chiến thắng Điện Biên Phủ năm 1954 có ý nghĩa lịch sử như thế nào đối với dân tộc Việt Nam?"


def make_item(author, text: str, *, subject: Subject, status: str | None = None, **fields) -> Item:
    """An item written straight into the table, with its search text (and a version if ``status``)."""
    fields.setdefault("owner", author.organisation)
    fields.setdefault("level", "biet")
    item = Item.objects.create(author=author, subject=subject, search_text=search_key(text), **fields)
    if status is not None:
        ItemVersion.objects.create(item=item, number=1, status=status, content={"stem": text}, created_by=author)
    return item


@pytest.fixture
def bank():
    """Two departments: schools A and B in the first, school C in the second; a teacher in each."""
    north, south = make_department(), make_department()
    school_a, school_b, school_c = make_school(north), make_school(north), make_school(south)
    maths, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    physics, _ = Subject.objects.get_or_create(code="vat-ly", defaults={"name": "Vật lý"})

    class Bank:
        pass

    b = Bank()
    b.maths, b.physics = maths, physics
    b.school_a, b.school_b, b.school_c = school_a, school_b, school_c
    b.teacher_a = make_user(Role.TEACHER, school_a)
    b.colleague_a = make_user(Role.TEACHER, school_a)
    b.teacher_b = make_user(Role.TEACHER, school_b)
    b.teacher_c = make_user(Role.TEACHER, school_c)
    return b


def found(user, **kwargs) -> list[int]:
    return [item.pk for item in search_items(user, **kwargs)[:50]]


# Search words -------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["ham so", "hàm số", "HÀM SỐ", "  Hàm   Số  "])
def test_search_ignores_case_and_diacritics(bank, q):
    item = make_item(bank.teacher_a, "Hàm số $y = x^2$ đồng biến trên khoảng nào?", subject=bank.maths)
    make_item(bank.teacher_a, "Phương trình bậc hai có mấy nghiệm?", subject=bank.maths)
    assert found(bank.teacher_a, q=q) == [item.pk]


def test_the_last_word_is_a_prefix(bank):
    item = make_item(bank.teacher_a, "Hàm số đồng biến", subject=bank.maths)
    make_item(bank.teacher_a, "Hàm lượng muối trong nước biển", subject=bank.maths)
    assert found(bank.teacher_a, q="ham s") == [item.pk]
    assert found(bank.teacher_a, q="ham so dong b") == [item.pk]
    assert found(bank.teacher_a, q="ham sox") == []


def test_every_word_must_occur(bank):
    both = make_item(bank.teacher_a, "Hàm số đồng biến trên R", subject=bank.maths)
    make_item(bank.teacher_a, "Hàm số nghịch biến trên R", subject=bank.maths)
    sequence = make_item(bank.teacher_a, "Dãy số đồng biến", subject=bank.maths)
    assert found(bank.teacher_a, q="ham dong bien") == [both.pk]
    assert sorted(found(bank.teacher_a, q="dong bien")) == [both.pk, sequence.pk]


def test_no_words_means_no_text_condition_newest_first(bank):
    first = make_item(bank.teacher_a, "Câu một", subject=bank.maths)
    second = make_item(bank.teacher_a, "Câu hai", subject=bank.maths)
    assert found(bank.teacher_a) == [second.pk, first.pk]
    assert found(bank.teacher_a, q="   ") == [second.pk, first.pk]


def test_results_are_a_queryset_the_caller_slices(bank):
    for i in range(7):
        make_item(bank.teacher_a, f"Tính đạo hàm số {i}", subject=bank.maths)
    results = search_items(bank.teacher_a, q="dao ham")
    assert results.count() == 7
    assert len(results[:3]) == 3


# Filters ------------------------------------------------------------------------------------


FILTERS = {
    "level": ("biet", "van_dung"),
    "item_type": (ItemType.SINGLE_CHOICE, ItemType.ESSAY),
    "grade": (10, 12),
    "visibility": (Visibility.SCHOOL, Visibility.NATIONAL),
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_filter_narrows_the_results(bank, name):
    wanted, other = FILTERS[name]
    hit = make_item(bank.teacher_a, "Giải phương trình", subject=bank.maths, **{name: wanted})
    make_item(bank.teacher_a, "Giải phương trình", subject=bank.maths, **{name: other})
    assert found(bank.teacher_a, q="phuong trinh", **{name: wanted}) == [hit.pk]
    assert found(bank.teacher_a, **{name: wanted}) == [hit.pk]


def test_subject_filter(bank):
    maths = make_item(bank.teacher_a, "Vận tốc trung bình", subject=bank.maths)
    physics = make_item(bank.teacher_a, "Vận tốc trung bình", subject=bank.physics)
    assert found(bank.teacher_a, q="van toc", subject=bank.maths.pk) == [maths.pk]
    assert found(bank.teacher_a, q="van toc", subject=bank.physics.pk) == [physics.pk]


def test_owner_and_author_filters(bank):
    mine = make_item(bank.teacher_a, "Tích phân từng phần", subject=bank.maths)
    colleagues = make_item(bank.colleague_a, "Tích phân từng phần", subject=bank.maths)
    national = make_item(bank.teacher_c, "Tích phân từng phần", subject=bank.maths, visibility=Visibility.NATIONAL)
    assert found(bank.teacher_a, q="tich phan", author=bank.colleague_a.pk) == [colleagues.pk]
    assert found(bank.teacher_a, q="tich phan", owner=bank.school_a.pk) == [colleagues.pk, mine.pk]
    assert found(bank.teacher_a, q="tich phan", owner=bank.school_c.pk) == [national.pk]


def test_status_filter_uses_the_latest_version(bank):
    published = make_item(bank.teacher_a, "Số phức", subject=bank.maths, status=ItemVersion.Status.PUBLISHED)
    redrafted = make_item(bank.teacher_a, "Số phức", subject=bank.maths, status=ItemVersion.Status.PUBLISHED)
    ItemVersion.objects.create(
        item=redrafted, number=2, status=ItemVersion.Status.DRAFT, content={"stem": "x"}, created_by=bank.teacher_a
    )
    assert found(bank.teacher_a, q="so phuc", status=ItemVersion.Status.PUBLISHED) == [published.pk]
    assert found(bank.teacher_a, q="so phuc", status=ItemVersion.Status.DRAFT) == [redrafted.pk]
    assert found(bank.teacher_a, status=ItemVersion.Status.RETIRED) == []


def test_topic_filter_includes_the_topics_below(bank):
    chapter = Topic.objects.create(subject=bank.maths, name="Hàm số", kind=Topic.Kind.CHAPTER)
    lesson = Topic.objects.create(subject=bank.maths, name="Đơn điệu", kind=Topic.Kind.LESSON, parent=chapter)
    fine = Topic.objects.create(subject=bank.maths, name="Xét dấu đạo hàm", parent=lesson)
    other = Topic.objects.create(subject=bank.maths, name="Hình học", kind=Topic.Kind.CHAPTER)
    in_chapter = make_item(bank.teacher_a, "Bài tập", subject=bank.maths, topic=chapter)
    in_lesson = make_item(bank.teacher_a, "Bài tập", subject=bank.maths, topic=lesson)
    in_fine = make_item(bank.teacher_a, "Bài tập", subject=bank.maths, topic=fine)
    make_item(bank.teacher_a, "Bài tập", subject=bank.maths, topic=other)
    make_item(bank.teacher_a, "Bài tập", subject=bank.maths)
    assert found(bank.teacher_a, q="bai tap", topic=chapter.pk) == [in_fine.pk, in_lesson.pk, in_chapter.pk]
    assert found(bank.teacher_a, topic=lesson.pk) == [in_fine.pk, in_lesson.pk]
    assert found(bank.teacher_a, topic=fine.pk) == [in_fine.pk]


# Who may see what (itembank.selectors) ---------------------------------------------------------


def test_an_item_private_to_another_teacher_is_never_found(bank):
    secret = make_item(bank.colleague_a, "Đề bí mật về lượng giác", subject=bank.maths, visibility=Visibility.PRIVATE)
    assert found(bank.colleague_a, q="luong giac") == [secret.pk]
    assert found(bank.teacher_a, q="luong giac") == []
    assert found(bank.teacher_a, q="luong giac", author=bank.colleague_a.pk, visibility=Visibility.PRIVATE) == []
    assert found(bank.teacher_a, author=bank.colleague_a.pk) == []
    assert near_duplicates(text="Đề bí mật về lượng giác", subject_id=bank.maths.pk, user=bank.teacher_a) == []


def test_sharing_across_schools(bank):
    school = make_item(bank.teacher_a, "Định luật Ôm cho đoạn mạch", subject=bank.physics)
    department = make_item(
        bank.teacher_a, "Định luật Ôm cho toàn mạch", subject=bank.physics, visibility=Visibility.DEPARTMENT
    )
    national = make_item(
        bank.teacher_a, "Định luật Ôm và điện trở", subject=bank.physics, visibility=Visibility.NATIONAL
    )
    assert found(bank.colleague_a, q="dinh luat om") == [national.pk, department.pk, school.pk]
    assert found(bank.teacher_b, q="dinh luat om") == [national.pk, department.pk]  # same department
    assert found(bank.teacher_c, q="dinh luat om") == [national.pk]  # another department


def test_students_find_nothing(bank):
    make_item(bank.teacher_a, "Đạo hàm", subject=bank.maths, visibility=Visibility.NATIONAL)
    student = make_user(Role.STUDENT, bank.school_a)
    assert found(student, q="dao ham") == []
    assert near_duplicates(text="Đạo hàm của hàm hợp", subject_id=bank.maths.pk, user=student) == []


# Bad input ----------------------------------------------------------------------------------


def test_a_very_long_query_is_cut():
    terms = query_terms("ham so " * 2_000)  # 14,000 characters
    assert len(" ".join(terms)) <= MAX_QUERY_CHARS


def test_a_very_long_query_runs(bank):
    item = make_item(bank.teacher_a, "ham so", subject=bank.maths)
    assert found(bank.teacher_a, q="ham so " * 2_000) == [item.pk]
    assert found(bank.teacher_a, q="x" * 10_000) == []


@pytest.mark.parametrize(
    "q",
    ["&|!():*'", "ham & so", "ham | !so", "(ham) <-> so", "ham:*", "'ham' so'", "\\ % _ ;", "ham so:* !", "'", ":*"],
)
def test_query_syntax_characters_are_plain_text(bank, q):
    item = make_item(bank.teacher_a, "Hàm số đồng biến", subject=bank.maths)
    results = found(bank.teacher_a, q=q)  # must not raise
    if query_terms(q) == ["ham", "so"]:
        assert results == [item.pk]


def test_hyphenated_words(bank):
    item = make_item(bank.teacher_a, "Định luật Bôi-lơ – Ma-ri-ốt cho khí lí tưởng", subject=bank.physics)
    make_item(bank.teacher_a, "Định luật Sác-lơ", subject=bank.physics)
    assert found(bank.teacher_a, q="bôi-lơ") == [item.pk]
    assert found(bank.teacher_a, q="dinh luat boi-lo ma-ri") == [item.pk]


def test_like_wildcards_are_not_wildcards(bank):
    make_item(bank.teacher_a, "Hàm số đồng biến", subject=bank.maths)
    assert found(bank.teacher_a, q="h%m") == []
    assert found(bank.teacher_a, q="h_m") == []


# Near duplicates ----------------------------------------------------------------------------


def test_identical_text_is_a_duplicate(bank):
    item = make_item(bank.teacher_a, STEM, subject=bank.maths)
    [(duplicate, similarity)] = near_duplicates(text=STEM, subject_id=bank.maths.pk, user=bank.teacher_a)
    assert duplicate.pk == item.pk
    assert similarity == pytest.approx(1.0)


def test_one_word_changed_in_a_stem_is_a_duplicate(bank):
    item = make_item(bank.teacher_a, STEM, subject=bank.maths)
    make_item(bank.teacher_a, UNRELATED, subject=bank.maths)
    [(duplicate, similarity)] = near_duplicates(
        text=STEM_ONE_WORD_CHANGED, subject_id=bank.maths.pk, user=bank.teacher_a
    )
    assert duplicate.pk == item.pk
    assert 0.6 <= similarity < 1.0
    expected = trigram_similarity(trigrams(search_key(STEM)), trigrams(search_key(STEM_ONE_WORD_CHANGED)))
    assert similarity == pytest.approx(expected, abs=1e-6)


def test_unrelated_text_is_not_a_duplicate(bank):
    make_item(bank.teacher_a, STEM, subject=bank.maths)
    assert near_duplicates(text=UNRELATED, subject_id=bank.maths.pk, user=bank.teacher_a) == []


def test_html_is_compared_as_its_text(bank):
    item = make_item(bank.teacher_a, STEM, subject=bank.maths)
    html = "<p>" + STEM.replace("parabol", "<strong>parabol</strong>", 1).replace("đỉnh", "&#273;&#7881;nh") + "</p>"
    [(duplicate, similarity)] = near_duplicates(text=html, subject_id=bank.maths.pk, user=bank.teacher_a)
    assert duplicate.pk == item.pk
    assert similarity == pytest.approx(1.0)


def test_duplicates_are_looked_for_in_the_same_subject_only(bank):
    make_item(bank.teacher_a, STEM, subject=bank.physics)
    assert near_duplicates(text=STEM, subject_id=bank.maths.pk, user=bank.teacher_a) == []


def test_the_item_itself_can_be_left_out(bank):
    item = make_item(bank.teacher_a, STEM, subject=bank.maths)
    other = make_item(bank.teacher_a, STEM_ONE_WORD_CHANGED, subject=bank.maths)
    result = near_duplicates(text=STEM, subject_id=bank.maths.pk, user=bank.teacher_a, exclude_item_id=item.pk)
    assert [duplicate.pk for duplicate, _ in result] == [other.pk]


def test_most_similar_first_and_limited(bank):
    exact = make_item(bank.teacher_a, STEM, subject=bank.maths)
    close = make_item(bank.teacher_a, STEM_ONE_WORD_CHANGED, subject=bank.maths)
    closer_text = STEM.replace("đỉnh", "tâm")
    make_item(bank.teacher_a, closer_text, subject=bank.maths)
    result = near_duplicates(text=STEM, subject_id=bank.maths.pk, user=bank.teacher_a, limit=2)
    assert len(result) == 2
    assert result[0][0].pk == exact.pk
    assert result[0][1] >= result[1][1]
    assert close.pk in {
        item.pk for item, _ in near_duplicates(text=STEM, subject_id=bank.maths.pk, user=bank.teacher_a)
    }


def test_threshold(bank):
    make_item(bank.teacher_a, STEM, subject=bank.maths)
    half = "Cho hàm số bậc hai có đồ thị là parabol. Tính tổng các nghiệm của phương trình đã cho."
    similarity = trigram_similarity(trigrams(search_key(STEM)), trigrams(search_key(half)))
    assert 0.2 < similarity < 0.6
    assert near_duplicates(text=half, subject_id=bank.maths.pk, user=bank.teacher_a) == []
    [(_, reported)] = near_duplicates(
        text=half, subject_id=bank.maths.pk, user=bank.teacher_a, threshold=similarity - 0.01
    )
    assert reported == pytest.approx(similarity, abs=1e-6)


@pytest.mark.parametrize("text", ["", "   ", "x = ?", "Tính x + 1", "<p>a<b>b</b></p>", "&|!():*'&|!():*'"])
def test_short_or_empty_text_has_no_duplicates(bank, text):
    make_item(bank.teacher_a, text or "x", subject=bank.maths)
    assert near_duplicates(text=text, subject_id=bank.maths.pk, user=bank.teacher_a) == []


def test_trigrams_are_pg_trgms():
    assert trigrams("Ab, c") == {"  a", " ab", "ab ", "  c", " c "}
    assert trigram_similarity(trigrams("ham so"), trigrams("ham so")) == 1.0
    assert trigram_similarity(set(), set()) == 0.0


# PostgreSQL only ----------------------------------------------------------------------------


def explain(sql: str, **settings: str) -> str:
    """The plan of an executed statement (as captured) under the given local settings."""
    with transaction.atomic(), connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def executed(queries, *fragments: str) -> str:
    [sql] = [query["sql"] for query in queries.captured_queries if all(f in query["sql"] for f in fragments)]
    return sql


WORDS = (
    "ham so dao ham tich phan luong giac phuong trinh bat dang thuc cap so cong nhan vector "
    "toa do mat phang duong thang hinh chop the tich xac suat to hop logarit mu can bac hai"
).split()


@pytest.fixture
def large_bank(bank):
    """2,000 items of random maths words, shared in every way, and fresh planner statistics."""
    rng = random.Random(7)
    visibilities = list(Visibility.values)
    Item.objects.bulk_create(
        Item(
            owner=rng.choice([bank.school_a, bank.school_b, bank.school_c]),
            author=bank.teacher_a,
            subject=bank.maths,
            level="biet",
            visibility=rng.choice(visibilities),
            search_text=" ".join(rng.choice(WORDS) for _ in range(25)) + f" cau {i}",
        )
        for i in range(2_000)
    )
    bank.parabola = make_item(bank.teacher_a, "Cho parabol và đường tròn lượng giác", subject=bank.maths)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE itembank_item")
    return bank


INDEX_EXPRESSION = "to_tsvector('simple'::regconfig, search_text)"


@pytest.mark.services
def test_the_index_is_on_the_expression_the_search_uses():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef('item_search_text_tsv'::regclass)")
        assert f"USING gin ({INDEX_EXPRESSION})" in cursor.fetchone()[0]
        cursor.execute("SELECT pg_get_indexdef('item_search_text_trgm'::regclass)")
        assert "USING gin (search_text gin_trgm_ops)" in cursor.fetchone()[0]


@pytest.mark.services
@pytest.mark.parametrize("q", ["parab", "ham so", "c"])  # one item, hundreds, all of them
def test_the_search_reads_the_full_text_index(large_bank, q):
    with CaptureQueriesContext(connection) as queries:
        results = list(search_items(large_bank.teacher_a, q=q, subject=large_bank.maths.pk)[:50])
    if q == "parab":
        assert [item.pk for item in results] == [large_bank.parabola.pk]
    else:
        assert len(results) == 50
    sql = executed(queries, " @@ ", "LIMIT 300")
    assert f"{INDEX_EXPRESSION} @@" in sql
    # Under the settings search_items itself gives that statement (sequential scans off),
    # whatever the share of the bank that matches.
    plan = explain(sql, enable_seqscan="off")
    assert "Bitmap Index Scan on item_search_text_tsv" in plan, plan
    assert "Filter: (to_tsvector" not in plan, plan  # never evaluated row by row
    # The ranking statement computes to_tsvector for the chosen ids only.
    ranking = executed(queries, "ts_rank(")
    assert " @@ " not in ranking.split("FROM", 1)[1]


@pytest.mark.services
@pytest.mark.parametrize(
    "q, expected",
    [
        ("ham s", "'ham' & 's':*"),
        ("ke hoach mac-san", "'ke' & 'hoach' & 'mac' & 'san':*"),  # no phrase, which needs a recheck
        ("x-2 = 3.5", "'x' & '-2' & '3.5':*"),
        ("o'neil: a|b", "'o' & 'neil' & 'a' & 'b':*"),
    ],
)
def test_the_query_words_become_a_plain_tsquery(bank, q, expected):
    with CaptureQueriesContext(connection) as queries:
        list(search_items(bank.teacher_a, q=q))
    plan = explain(executed(queries, " @@ ", "LIMIT 300"), enable_seqscan="off")
    [constant] = set(re.findall(r"@@ '(.*?)'::tsquery", plan))  # the index and recheck conditions
    assert constant.replace("''", "'") == expected


@pytest.mark.services
def test_at_most_max_ranked_newest_matches_are_ranked(bank, monkeypatch):
    monkeypatch.setattr("itembank.textsearch.MAX_RANKED", 3)
    # The older an item, the more often it has the words.
    items = [make_item(bank.teacher_a, "Tính đạo hàm " * (5 - i) + "cho x", subject=bank.maths) for i in range(5)]
    results = list(search_items(bank.teacher_a, q="dao ham"))
    # The three newest matches only, the best of them first.
    assert [item.pk for item in results] == [items[2].pk, items[3].pk, items[4].pk]
    assert search_items(bank.teacher_a, q="dao ham").count() == 3


@pytest.mark.services
def test_the_duplicate_check_probes_the_full_text_index(large_bank):
    text = "Cho parabol và đường tròn lượng giác"
    with CaptureQueriesContext(connection) as queries:
        [(item, similarity)] = near_duplicates(text=text, subject_id=large_bank.maths.pk, user=large_bank.teacher_a)
    assert (item.pk, similarity) == (large_bank.parabola.pk, pytest.approx(1.0))
    plan = explain(executed(queries, " @@ ", "LIMIT 501"), enable_seqscan="off")
    assert "Bitmap Index Scan on item_search_text_tsv" in plan, plan
    assert "Filter: (to_tsvector" not in plan, plan


def brute_force_duplicates(user, subject, text: str, threshold: float = 0.6) -> list[tuple[int, float]]:
    """Every visible item of the subject compared with the text in Python: the reference."""
    wanted = trigrams(search_key(text))
    scored = [
        (pk, trigram_similarity(wanted, trigrams(search_text)))
        for pk, search_text in search_items(user, subject=subject.pk).values_list("pk", "search_text")
    ]
    return sorted(((pk, round(s, 6)) for pk, s in scored if s >= threshold), key=lambda pair: (-pair[1], -pair[0]))


@pytest.mark.services
def test_common_probe_words_fall_back_to_the_trigram_index(large_bank, monkeypatch):
    monkeypatch.setattr("itembank.textsearch.MAX_DUPLICATE_CANDIDATES", 100)  # of the 2,000
    text = "đạo hàm tích phân lượng giác hàm số cấp số cộng"  # the bank's commonest words
    exact = make_item(large_bank.teacher_a, text, subject=large_bank.maths)
    variants = [
        make_item(large_bank.teacher_a, text.replace(w, "xyz"), subject=large_bank.maths) for w in ("đạo", "cộng")
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE itembank_item")
    with CaptureQueriesContext(connection) as queries:
        found = near_duplicates(text=text, subject_id=large_bank.maths.pk, user=large_bank.teacher_a)
    reference = brute_force_duplicates(large_bank.teacher_a, large_bank.maths, text)
    assert [(item.pk, round(s, 6)) for item, s in found] == reference[:5]
    assert {exact.pk, *(item.pk for item in variants)} <= {item.pk for item, _ in found}
    # More than MAX_DUPLICATE_CANDIDATES items have half the probe words: the trigram index answered.
    sql = executed(queries, " % ", "LIMIT 100")
    # The trigram condition sits alone in its subquery and sequential scans are off, as the
    # code sets them: the index is the only way.
    plan = explain(sql, enable_seqscan="off", **{"pg_trgm.similarity_threshold": "0.6"})
    assert "Bitmap Index Scan on item_search_text_trgm" in plan, plan


@pytest.mark.services
def test_the_probe_finds_what_comparing_everything_finds(large_bank):
    for text in (STEM, STEM_ONE_WORD_CHANGED, "Cho parabol và đường tròn lượng giác", UNRELATED):
        make_item(large_bank.teacher_a, text, subject=large_bank.maths)
    for text in (STEM, "Cho parabol và đường tròn", UNRELATED, "hàm số lượng giác: tìm chu kì của hàm số"):
        found = near_duplicates(text=text, subject_id=large_bank.maths.pk, user=large_bank.teacher_a)
        reference = brute_force_duplicates(large_bank.teacher_a, large_bank.maths, text)
        assert [(item.pk, round(s, 6)) for item, s in found] == reference[:5], text


@pytest.mark.services
def test_better_matches_rank_first(bank):
    assert connection.vendor == "postgresql"
    often = make_item(bank.teacher_a, "Đạo hàm: đạo hàm của tổng bằng tổng các đạo hàm", subject=bank.maths)
    once = make_item(bank.teacher_a, "Tính đạo hàm của hàm số sau tại điểm x bằng một", subject=bank.maths)
    results = list(search_items(bank.teacher_a, q="dao ham"))
    assert [item.pk for item in results] == [often.pk, once.pk]
    assert results[0].search_rank > results[1].search_rank


@pytest.mark.services
def test_trigram_similarity_matches_pg_trgm(bank):
    texts = [STEM, STEM_ONE_WORD_CHANGED, UNRELATED, "x = 3.5, y_2 = -4", "a b c", "Đạo hàm của hàm số"]
    with connection.cursor() as cursor:
        for a in texts:
            for b in texts:
                cursor.execute("SELECT similarity(%s, %s)", [search_key(a), search_key(b)])
                expected = cursor.fetchone()[0]
                assert trigram_similarity(trigrams(search_key(a)), trigrams(search_key(b))) == pytest.approx(
                    expected, abs=1e-6
                ), (a, b)


@pytest.mark.services
def test_the_settings_are_put_back_within_a_transaction(bank, monkeypatch):
    monkeypatch.setattr("itembank.textsearch.MAX_DUPLICATE_CANDIDATES", 1)  # so the trigram index answers
    make_item(bank.teacher_a, STEM, subject=bank.maths)
    newer = make_item(bank.teacher_a, STEM, subject=bank.maths)
    with connection.cursor() as cursor:  # the test runs in a transaction, as a request may
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', '0.45', true)")
        cursor.execute("SELECT set_config('enable_seqscan', 'on', true)")
        with CaptureQueriesContext(connection) as queries:
            [(item, _)] = near_duplicates(text=STEM, subject_id=bank.maths.pk, user=bank.teacher_a, threshold=0.9)
            assert item.pk == newer.pk
            search_items(bank.teacher_a, q="parabol")
        assert any(" % " in query["sql"] for query in queries.captured_queries)
        cursor.execute("SELECT current_setting('pg_trgm.similarity_threshold'), current_setting('enable_seqscan')")
        assert cursor.fetchone() == ("0.45", "on")
