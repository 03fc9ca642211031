"""Ids a student sees are random per form and say nothing of the key (issue 8, finding 2).

Authors type ids in the key's order (``e1, e2, e3`` in the editor, ``A, B, C`` from Moodle); a
student who sorted the ids shown scored full marks. Each form item now shows random ids of its
own, mapped back to the version's on the server.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from assess import authoring, selectors, services
from assess.management.commands.seed_demo import EVERY_TYPE
from assess.models import Answer, AnswerEvent, FormItem, Result
from itembank import content
from itembank import services as bank
from itembank.models import CognitiveLevel, Subject
from itembank.preview import student_preview
from scoring.item_rules import score_response
from tests.factories import make_assessment, make_school, make_user, release_version, schedule

pytestmark = pytest.mark.django_db

# As authors type them: ids in the key's order.
ORDERING = {
    "stem": "Sắp xếp các năm theo thứ tự thời gian.",
    "elements": [{"id": f"e{n}", "text": str(1940 + 5 * n)} for n in range(1, 6)],
    "scoring": "all_or_nothing",
    "order": ["e1", "e2", "e3", "e4", "e5"],
}
MATCHING = {
    "stem": "Ghép mỗi hàm số với đạo hàm của nó.",
    "premises": [{"id": str(n), "text": f"$x^{n}$"} for n in range(1, 5)],
    "responses": [{"id": letter, "text": f"$ {n}x^{n - 1}$"} for n, letter in zip(range(1, 5), "abcd", strict=True)],
    "scoring": "all_or_nothing",
    "pairs": {"1": "a", "2": "b", "3": "c", "4": "d"},
}
FORMS = 30


@pytest.fixture
def bank_people(db):
    school = make_school()
    board = make_user(Role.BOARD, school.parent)
    teacher = make_user(Role.TEACHER, school)
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    assessment = make_assessment(organisation=school, subject=subject, created_by=board)
    student = make_user(Role.STUDENT, school)
    return {
        "school": school,
        "board": board,
        "teacher": teacher,
        "student": student,
        "subject": subject,
        "assessment": assessment,
    }


def _version(people, item_type: str, document: dict, points: str = "1"):
    version = bank.item_create(
        by=people["teacher"],
        subject=people["subject"],
        level=CognitiveLevel.APPLY,
        item_type=item_type,
        content=document,
        points=points,
    )
    return release_version(version, author=people["teacher"], reviewer=people["board"])


def _every_type(people):
    return [_version(people, item_type, document, points) for item_type, _level, document, points in EVERY_TYPE]


def _started_attempt(people, versions, code: str):
    """A form of ``versions``, a sitting of it with one candidate, started: (attempt, token)."""
    form = authoring.form_of_versions(
        by=people["board"], assessment=people["assessment"], code=code, item_versions=versions
    )
    now = timezone.now()
    sitting = schedule(
        by=people["board"],
        form=form,
        title=f"Ca {code}",
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=3),
        students=[people["student"]],
    )
    attempt = sitting.attempts.get()
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    return attempt, token


def test_sorting_the_ids_shown_no_longer_gives_the_key(bank_people):
    """The finding, through delivery: sort the shuffled ids and hand them in, on many forms."""
    versions = [_version(bank_people, "ordering", ORDERING), _version(bank_people, "matching", MATCHING)]
    full_marks = Counter()
    for number in range(FORMS):
        attempt, token = _started_attempt(bank_people, versions, code=f"{number:03d}")
        ordering, matching = selectors.attempt_state(attempt.pk)["items"]
        elements = sorted(element["id"] for element in ordering["elements"])
        pairs = dict(
            zip(
                sorted(premise["id"] for premise in matching["premises"]),
                sorted(response["id"] for response in matching["responses"]),
                strict=True,
            )
        )
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=1, value=elements)
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=2, item=2, value=pairs)
        services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
        services.attempt_score(attempt_id=attempt.pk)
        scores = Result.objects.get(attempt=attempt).item_scores
        full_marks.update(kind for kind, score in zip(("ordering", "matching"), scores, strict=True) if score == 1.0)
    # Chance is 1 in 120 (five elements) and 1 in 24 (four premises): every form gave full
    # marks before; more than a quarter of them would be a miracle now.
    assert full_marks["ordering"] < FORMS / 4, full_marks
    assert full_marks["matching"] < FORMS / 4, full_marks


def _groups(item_type: str, document: dict) -> dict[str, list[str]]:
    """Every id group of a document, in the author's order (what the shown ids must not follow)."""
    if item_type in ("single_choice", "multiple_response"):
        return {"options": [o["id"] for o in document["options"]]}
    if item_type == "true_false_group":
        return {"statements": [s["id"] for s in document["statements"]]}
    if item_type == "inline_choice":
        groups = {"gaps": [g["id"] for g in document["gaps"]]}
        groups.update({f"gap:{g['id']}": [o["id"] for o in g["options"]] for g in document["gaps"]})
        return groups
    if item_type == "matching":
        return {
            "premises": [p["id"] for p in document["premises"]],
            "responses": [r["id"] for r in document["responses"]],
        }
    if item_type == "ordering":
        return {"elements": [e["id"] for e in document["elements"]]}
    return {}


WITH_IDS = [(t, d) for t, _level, d, _points in EVERY_TYPE if _groups(t, d)]
DRAWS = 2400


@pytest.mark.parametrize("item_type, document", WITH_IDS, ids=[t for t, _d in WITH_IDS])
def test_the_order_of_the_ids_shown_is_independent_of_the_authors(item_type, document):
    """Over many forms, where an entry's shown id sorts is uniform, whatever the author's order
    (and so whatever the key, which the author's ids encode): no correlation to exploit."""
    document = content.validate_content(item_type, document, 1)
    groups = _groups(item_type, document)
    identity = Counter()
    ranks = {group: Counter() for group in groups}
    for _ in range(DRAWS):
        ids = content.new_response_ids(item_type, document)
        assert {group: list(mapping) for group, mapping in ids.items()} == groups
        shown = [new for mapping in ids.values() for new in mapping.values()]
        assert len(set(shown)) == len(shown) and all(re.fullmatch(r"[0-9a-f]{8}", new) for new in shown)
        for group, authored in groups.items():
            order = sorted(authored, key=lambda old, group=group: ids[group][old])
            identity[group] += order == authored
            for rank, old in enumerate(order):
                ranks[group][(old, rank)] += 1
    for group, authored in groups.items():
        n = len(authored)
        expected = DRAWS / n
        # Each entry sorts at each rank about 1/n of the time (binomial: 6 standard deviations).
        tolerance = 6 * (DRAWS * (1 / n) * (1 - 1 / n)) ** 0.5
        for old in authored:
            for rank in range(n):
                assert abs(ranks[group][(old, rank)] - expected) < tolerance, (group, old, rank)
        # The author's order comes out about once in n! draws (once in 2 for two entries).
        factorial = 1
        for k in range(2, n + 1):
            factorial *= k
        assert identity[group] < DRAWS / factorial + 6 * (DRAWS / factorial) ** 0.5 + 3, (group, identity[group])


def _back(view, lookup: dict[str, str]):
    """A shown view with every id (and gap marker) put back into the version's ids."""
    if isinstance(view, dict):
        return {
            key: lookup[value] if key == "id" and key in view and value in lookup else _back(value, lookup)
            for key, value in view.items()
        }
    if isinstance(view, list):
        return [_back(entry, lookup) for entry in view]
    if isinstance(view, str):
        return re.sub(r'data-gap="([0-9a-f]{8})"', lambda m: f'data-gap="{lookup[m.group(1)]}"', view)
    return view


def test_each_form_shows_its_own_ids_and_otherwise_the_preview(bank_people):
    versions = _every_type(bank_people)
    first, _ = _started_attempt(bank_people, versions, code="101")
    second, _ = _started_attempt(bank_people, versions, code="102")
    one, two = selectors.form_content(first.form_id), selectors.form_content(second.form_id)
    for version, shown_one, shown_two, form_item in zip(
        versions, one, two, FormItem.objects.filter(form_id=first.form_id).order_by("position"), strict=True
    ):
        authored = _groups(version.item.item_type, version.content)
        if not authored:
            assert form_item.response_ids == {} and shown_one == shown_two
            continue
        version_ids = {old for ids in authored.values() for old in ids}
        seen = {entry["id"] for value in shown_one.values() if isinstance(value, list) for entry in value}
        seen |= {o["id"] for gap in shown_one.get("gaps", []) for o in gap["options"]}
        assert seen and not seen & version_ids, version.item.item_type  # never the author's ids
        assert shown_one != shown_two  # each form draws its own
        # Put back through the form item's ids, the exam page's view is the preview's.
        preview = student_preview(version, position=form_item.position, points=form_item.points)
        assert _back(shown_one, content.shown_id_lookup(form_item.response_ids)) == preview
        markers = set(re.findall(r'data-gap="([^"]*)"', shown_one["stem_html"]))
        assert markers == {gap["id"] for gap in shown_one.get("gaps", [])}  # the stem names the shown gaps


def test_answers_are_stored_scored_and_shown_back_in_the_right_ids(bank_people):
    versions = _every_type(bank_people)
    attempt, token = _started_attempt(bank_people, versions, code="201")
    items = selectors.attempt_state(attempt.pk)["items"]
    by_type = {item["type"]: item for item in items}
    # A student picks by what is shown: the option "2", statements in their order...
    options = by_type["multiple_response"]["options"]
    choice = [o["id"] for o in options if o["html"] in ("2", "5")]
    statements = [s["id"] for s in by_type["true_false_group"]["statements"]]
    shown_answers = {
        "multiple_response": choice,
        "true_false_group": dict(zip(statements, [True, False, True, True], strict=True)),
    }
    for seq, (item_type, value) in enumerate(shown_answers.items(), start=1):
        ack = services.attempt_record_answer(
            attempt_id=attempt.pk, token=token, seq=seq, item=by_type[item_type]["item"], value=value
        )
        assert not ack.duplicate
        # A replay in the same shown ids is recognised as before.
        again = services.attempt_record_answer(
            attempt_id=attempt.pk, token=token, seq=seq, item=by_type[item_type]["item"], value=value
        )
        assert again.duplicate
    # Stored (history and latest) in the version's ids, the same on every form ...
    stored = dict(
        Answer.objects.filter(attempt=attempt).values_list("form_item__item_version__item__item_type", "value")
    )
    assert sorted(stored["multiple_response"]) == ["A", "C"]
    assert stored["true_false_group"] == {"a": True, "b": False, "c": True, "d": True}
    events = list(AnswerEvent.objects.filter(attempt=attempt).values_list("value", flat=True))
    assert events[1] == {"a": True, "b": False, "c": True, "d": True}
    # ... and given back in the shown ids.
    answers = selectors.attempt_state(attempt.pk)["answers"]
    assert answers[str(by_type["true_false_group"]["item"])] == shown_answers["true_false_group"]
    assert sorted(answers[str(by_type["multiple_response"]["item"])]) == sorted(choice)
    key = versions[[v.item.item_type for v in versions].index("true_false_group")].scoring_key()
    assert score_response("true_false_group", stored["true_false_group"], key, Decimal(1)).fraction == 1


def test_the_authors_ids_are_refused_on_a_form(bank_people):
    """The version's ids mean nothing on a form; the message quotes only the ids shown."""
    versions = _every_type(bank_people)
    attempt, token = _started_attempt(bank_people, versions, code="301")
    items = selectors.attempt_state(attempt.pk)["items"]
    ordering = next(item for item in items if item["type"] == "ordering")
    from assess import errors

    with pytest.raises(errors.InvalidValue) as refused:
        services.attempt_record_answer(
            attempt_id=attempt.pk, token=token, seq=1, item=ordering["item"], value=["s1", "s2", "s3", "s4"]
        )
    assert "s2" not in refused.value.message and ordering["elements"][0]["id"] in refused.value.message
    assert not AnswerEvent.objects.filter(attempt=attempt).exists()
