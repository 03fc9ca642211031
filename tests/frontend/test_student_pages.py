"""The student's pages: the dashboard by section with the right buttons, the review of a
published attempt as its policy allows (every item type), and the access code on the exam page.

Pages are read by their data attributes and test ids, so the tests hold in either language.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import html as lxml_html

from accounts.models import Role
from assess import authoring, services, sittings
from assess.management.commands.seed_demo import EVERY_TYPE
from assess.models import Assessment, Attempt
from itembank import services as bank
from tests.assess.test_sittings import School, _take
from tests.factories import logged_in_client, make_assessment, make_user, release_version, shown

pytestmark = pytest.mark.django_db

CODE = "Q7Z9K2"


@pytest.fixture
def world() -> School:
    return School()


def _schedule(world: School, by, form, **spec):
    now = timezone.now()
    window = {"opens_at": now - timedelta(minutes=5), "closes_at": now + timedelta(hours=2)}
    sitting, _ = sittings.sitting_schedule(
        by=by,
        form_id=form.pk,
        spec=sittings.SittingSpec(**{"title": "Ca", **window, **spec}),
        candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
    )
    return sitting


def _page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return lxml_html.fromstring(response.content.decode()), response.content.decode()


def _card(tree, sitting) -> lxml_html.HtmlElement:
    (card,) = tree.xpath(f'//article[@data-sitting="{sitting.pk}"]')
    return card


def _section_of(card) -> str:
    return card.xpath("ancestor::section[@data-section]")[0].get("data-section")


def _actions(card) -> list[tuple[str, str]]:
    return [
        (node.get("data-action"), node.get("href") or node.get("data-url")) for node in card.xpath(".//*[@data-action]")
    ]


def _start(attempt: Attempt, access_code: str = ""):
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token, access_code=access_code)
    return token


def test_the_dashboard_shows_each_section_with_the_right_buttons(world):
    now = timezone.now()
    exam = world.form(world.board)
    quiz = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS)
    student = world.students["An"]
    upcoming = _schedule(world, world.board, exam, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
    coded = _schedule(world, world.board, exam, access_code=CODE)
    running = _schedule(world, world.teacher, quiz, max_attempts=2)
    again = _schedule(world, world.teacher, quiz, max_attempts=3, feedback_timing="after_submit")
    released = _schedule(world, world.board, exam, feedback_detail="answers")
    waiting = _schedule(world, world.board, exam)
    missed = _schedule(
        world, world.board, exam, opens_at=now - timedelta(hours=1), latest_start=now - timedelta(minutes=1)
    )
    cancelled = _schedule(world, world.board, exam)
    sittings.sitting_cancel(by=world.board, sitting_id=cancelled.pk, reason="trùng lịch")
    _start(running.attempts.get(student=student))
    tried = again.attempts.get(student=student)
    _take(tried, right=True)  # published at once: the policy shows results after each submission
    taken = released.attempts.get(student=student)
    _take(taken, right=True)
    sittings.sitting_release(by=world.board, sitting_id=released.pk)
    _take(waiting.attempts.get(student=student), right=False)

    tree, text = _page(logged_in_client(student), "/exam/")
    sections = [node.get("data-section") for node in tree.xpath("//section[@data-section]")]
    assert sections == ["in_progress", "open", "upcoming", "done", "missed", "cancelled"]
    assert CODE not in text

    card = _card(tree, upcoming)
    assert _section_of(card) == "upcoming" and _actions(card) == []
    assert card.xpath('.//*[@data-testid="opens"]')

    card = _card(tree, coded)
    attempt = coded.attempts.get(student=student)
    assert _section_of(card) == "open"
    assert _actions(card) == [("open", f"/exam/{attempt.pk}/")]
    assert card.xpath('.//*[@data-testid="needs-code"]') and card.xpath('.//*[@data-testid="closes-in"]')
    assert "0" in card.xpath('string(.//*[@data-testid="attempts"])')

    card = _card(tree, running)
    attempt = running.attempts.get(student=student)
    assert _section_of(card) == "in_progress"
    assert _actions(card) == [("continue", f"/exam/{attempt.pk}/")]
    assert card.xpath('string(.//*[@data-testid="time-left"])').strip()
    assert "1" in card.xpath('string(.//*[@data-testid="attempts"])')
    assert "2" in card.xpath('string(.//*[@data-testid="attempts"])')

    card = _card(tree, again)
    assert _section_of(card) == "open"
    assert _actions(card) == [("try-again", f"/api/sittings/{again.pk}/attempts/")]
    assert card.xpath('.//button[@data-action="try-again"]')[0].get("data-exam-url") == "/exam/"
    assert card.xpath('string(.//*[@data-testid="score"])') in ("10,0", "10.0")
    assert card.xpath('.//a[@data-testid="review-link"]/@href') == [f"/exam/attempts/{tried.pk}/review/"]

    card = _card(tree, released)
    assert _section_of(card) == "done" and _actions(card) == []
    assert card.xpath('string(.//*[@data-testid="score"])') in ("10,0", "10.0")
    assert card.xpath('.//a[@data-testid="review-link"]/@href') == [f"/exam/attempts/{taken.pk}/review/"]

    card = _card(tree, waiting)
    assert _section_of(card) == "done" and _actions(card) == []
    assert not card.xpath('.//*[@data-testid="results"]') and not card.xpath('.//*[@data-testid="review-link"]')

    for sitting, section in ((missed, "missed"), (cancelled, "cancelled")):
        card = _card(tree, sitting)
        assert _section_of(card) == section and _actions(card) == []
        assert f"state-{section}" in card.get("class")  # greyed
    assert tree.xpath('//script[@id="student-text"]') and tree.xpath('//script[contains(@src, "student.js")]')


def test_try_again_makes_the_next_attempt_whose_exam_page_the_card_then_opens(world):
    quiz = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS, codes=2)
    sitting = _schedule(world, world.teacher, quiz, max_attempts=2, feedback_timing="after_submit")
    student = world.students["An"]
    _take(sitting.attempts.get(student=student), right=False)
    client = logged_in_client(student)
    tree, _ = _page(client, "/exam/")
    (button,) = tree.xpath('//button[@data-action="try-again"]')
    response = client.post(button.get("data-url"), content_type="application/json")
    assert response.status_code == 201, response.content
    new = response.json()["id"]
    assert client.get(f"{button.get('data-exam-url')}{new}/").status_code == 200
    tree, _ = _page(client, "/exam/")
    card = _card(tree, sitting)
    assert _section_of(card) == "open" and _actions(card) == [("open", f"/exam/{new}/")]
    # Every attempt used: nothing more to try, and the API says why.
    _take(Attempt.objects.get(pk=new), right=True)
    tree, _ = _page(client, "/exam/")
    card = _card(tree, sitting)
    assert _section_of(card) == "done" and _actions(card) == []
    assert len(card.xpath('.//a[@data-testid="review-link"]')) == 2
    refused = client.post(button.get("data-url"), content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]["message"]


def test_a_student_with_nothing_sees_the_empty_state(world):
    tree, _ = _page(logged_in_client(world.students["Hà"]), "/exam/")
    assert tree.xpath('//*[@data-testid="dashboard-empty"]') and not tree.xpath("//article")
    assert logged_in_client(world.teacher).get("/exam/").status_code == 403


def test_the_dashboard_page_costs_the_same_queries_whatever_the_history(world):
    exam = world.form(world.board)
    student = world.students["An"]
    client = logged_in_client(student)
    client.get("/api/me/")  # the session's first request writes it

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/exam/").status_code == 200
        return len(queries)

    _schedule(world, world.board, exam)
    few = count()
    for _ in range(6):
        sitting = _schedule(world, world.board, exam, feedback_detail="answers")
        _take(sitting.attempts.get(student=student), right=True)
        sittings.sitting_release(by=world.board, sitting_id=sitting.pk)
    assert count() == few <= 3


# --- the review -------------------------------------------------------------------------------


def test_the_review_waits_for_the_release_and_shows_the_correct_answers_only_if_the_policy_does(world):
    exam = world.form(world.board)
    student = world.students["An"]
    client = logged_in_client(student)
    for detail in ("answers", "score"):
        sitting = _schedule(world, world.board, exam, feedback_detail=detail)
        attempt = sitting.attempts.get(student=student)
        _take(attempt, right=False)
        url = f"/exam/attempts/{attempt.pk}/review/"
        refused = client.get(url)
        assert refused.status_code == 403
        assert 'data-testid="error-page"' in refused.content.decode()  # the site's 403 page
        assert logged_in_client(world.students["Bình"]).get(url).status_code == 404
        keys = {fi.response_ids["options"][fi.item_version.content["key"]] for fi in attempt.form.form_items.all()}
        assert not any(key in refused.content.decode() for key in keys)

        sittings.sitting_release(by=world.board, sitting_id=sitting.pk)
        tree, _ = _page(client, url)
        assert tree.xpath('string(//*[@data-testid="review-score"])') in ("0,0", "0.0")
        items = tree.xpath('//li[@data-item][@data-type="single_choice"]')
        assert len(items) == 2
        for item in items:
            (yours,) = item.xpath('.//li[.//*[@data-testid="yours"]]')
            assert yours.get("data-option") not in keys and "outcome-zero" in item.get("class")
            correct = item.xpath('.//li[.//*[@data-testid="correct"]]/@data-option')
            if detail == "answers":
                assert len(correct) == 1 and correct[0] in keys
            else:
                assert correct == []
        if detail == "score":
            assert tree.xpath('//*[@data-testid="policy-score-only"]')
            assert not tree.xpath('//*[@data-testid="correct"]')
        sittings.sitting_withdraw(by=world.board, sitting_id=sitting.pk, reason="chấm lại")
        assert client.get(url).status_code == 403


# Answers in the authors' ids, one per type of EVERY_TYPE: some right, some wrong, one
# typed with markup that must stay text.
ANSWERS = [
    "A",  # wrong: B
    {"a": True, "b": True},  # a right, b wrong, c and d left
    "-1,5",  # right
    ["A", "B"],  # one right, one wrong
    "<b>cos x</b>",  # wrong, and must show as typed
    {"g1": "x", "g2": "p"},  # g1 right, g2 wrong
    {"1": "a", "2": "c"},  # 1 right, 2 wrong, 3 left
    ["s2", "s1", "s3", "s4"],
    "Tính y' rồi so sánh hai đầu mút.",
]


@pytest.fixture
def every_type(world):
    """A released attempt of An's at a form of one item of every type, with explanations shown."""
    versions = []
    for n, (item_type, level, document, points) in enumerate(EVERY_TYPE):
        if n == 0:
            document = {**document, "explanation": "Vì $2^3 = 8$."}
        version = bank.item_create(
            by=world.teacher, subject=world.subject, level=level, item_type=item_type, content=document, points=points
        )
        versions.append(release_version(version, author=world.teacher, reviewer=world.board))
    assessment = make_assessment(organisation=world.department, subject=world.subject, created_by=world.board)
    form = authoring.form_of_versions(by=world.board, assessment=assessment, code="101", item_versions=versions)
    sitting = _schedule(world, world.board, form, feedback_detail="explanations")
    attempt = sitting.attempts.get(student=world.students["An"])
    token = _start(attempt)
    for position, value in enumerate(ANSWERS, start=1):
        services.attempt_record_answer(
            attempt_id=attempt.pk, token=token, seq=position, item=position, value=shown(attempt, position, value)
        )
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    services.attempt_score(attempt_id=attempt.pk)
    sittings.sitting_release(by=world.board, sitting_id=sitting.pk)  # the essay awaits its mark
    essay = attempt.form.form_items.get(item_version__item__item_type="essay")
    services.attempt_mark_response(
        attempt_id=attempt.pk, form_item_id=essay.pk, points=essay.points / 2, detail={}
    )  # the last mark publishes it
    return attempt


def _item(tree, item_type: str):
    (item,) = tree.xpath(f'//li[@data-item][@data-type="{item_type}"]')
    return item


def _texts(item, testid: str) -> list[str]:
    """The text of each node with this test id, without the right/wrong marks."""
    return [
        " ".join("".join(node.xpath('.//text()[not(ancestor::span[contains(@class, "mark")])]')).split())
        for node in item.xpath(f'.//*[@data-testid="{testid}"]')
    ]


def test_the_review_pairs_every_item_type_with_its_text(every_type):
    tree, text = _page(logged_in_client(every_type.student), f"/exam/attempts/{every_type.pk}/review/")
    assert len(tree.xpath("//li[@data-item]")) == len(EVERY_TYPE)
    assert "<math" in text  # the server's MathML, not escaped

    item = _item(tree, "single_choice")
    assert item.xpath('.//li[.//*[@data-testid="yours"]]/span[@class="letter"]/text()') == ["A."]
    assert item.xpath('.//li[.//*[@data-testid="correct"]]/span[@class="letter"]/text()') == ["B."]
    assert item.xpath('.//*[@data-testid="explanation"]//math')

    item = _item(tree, "true_false_group")
    rows = item.xpath(".//tbody/tr")
    assert len(rows) == 4
    assert [row.get("class") for row in rows] == ["is-right", "is-wrong", "is-wrong", "is-wrong"]
    assert _texts(item, "yours")[2:] == ["–", "–"]  # c and d left unanswered
    assert len(set(_texts(item, "correct"))) == 2  # true and false, in the page's language

    item = _item(tree, "short_numeric")
    assert _texts(item, "yours") == ["-1,5"] and _texts(item, "correct") == ["-1,5"]
    assert "outcome-full" in item.get("class")

    item = _item(tree, "multiple_response")
    assert item.xpath('.//li[.//*[@data-testid="yours"]]/span[@class="letter"]/text()') == ["A.", "B."]
    assert item.xpath('.//li[.//*[@data-testid="correct"]]/span[@class="letter"]/text()') == ["A.", "C."]

    item = _item(tree, "text_entry")
    assert _texts(item, "yours") == ["<b>cos x</b>"] and _texts(item, "correct") == ["cos x"]
    assert "&lt;b&gt;cos x&lt;/b&gt;" in text and "<b>cos x</b>" not in text

    item = _item(tree, "inline_choice")
    assert item.xpath('.//div[@class="stem"]//span[contains(@class, "review-gap")]/text()') == ["(1)", "(2)"]
    yours = item.xpath('.//td[@data-testid="yours"]')
    assert _texts(item, "yours") == ["đồng biến", "0"]
    assert [td.xpath('.//span[contains(@class, "mark-")]/@class') for td in yours] == [
        ["mark mark-right"],
        ["mark mark-wrong"],
    ]
    assert _texts(item, "correct") == ["đồng biến", "1"]
    assert "outcome-partial" in item.get("class")

    item = _item(tree, "matching")
    rows = item.xpath(".//tbody/tr")
    assert [row.get("class") for row in rows] == ["is-right", "is-wrong", "is-wrong"]
    assert all(row.xpath('.//td[@data-testid="correct"]//math') for row in rows)
    assert rows[2].xpath('string(.//td[@data-testid="yours"])').strip().startswith("–")

    item = _item(tree, "ordering")
    yours = item.xpath('.//ol[@data-testid="yours"]/li')
    correct = item.xpath('.//ol[@data-testid="correct"]/li')
    assert len(yours) == len(correct) == 4
    assert correct[0].text_content().startswith("Tìm tập xác định")
    assert yours[0].text_content().startswith("Tính đạo hàm") and yours[0].get("class") == "is-wrong"
    assert [li.get("class") for li in yours[2:]] == ["is-right", "is-right"]

    item = _item(tree, "essay")
    assert _texts(item, "yours") == [ANSWERS[-1]] and _texts(item, "correct") == []
    assert "outcome-partial" in item.get("class")  # marked half its points


def test_an_unanswered_item_says_so(world):
    exam = world.form(world.board)
    sitting = _schedule(world, world.board, exam, feedback_detail="answers")
    attempt = sitting.attempts.get(student=world.students["Chi"])
    token = _start(attempt)
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    services.attempt_score(attempt_id=attempt.pk)
    sittings.sitting_release(by=world.board, sitting_id=sitting.pk)
    tree, _ = _page(logged_in_client(attempt.student), f"/exam/attempts/{attempt.pk}/review/")
    assert len(tree.xpath('//*[@data-testid="no-answer"]')) == 2
    assert len(tree.xpath('//*[@data-testid="correct"]')) == 2 and not tree.xpath('//*[@data-testid="yours"]')


# --- the exam page's access code ------------------------------------------------------------------


def test_the_exam_page_asks_for_the_access_code_only_when_needed_and_never_holds_it(world):
    exam = world.form(world.board)
    student = world.students["An"]
    client = logged_in_client(student)
    coded = _schedule(world, world.board, exam, access_code=CODE).attempts.get(student=student)
    plain = _schedule(world, world.board, exam).attempts.get(student=student)

    tree, text = _page(client, f"/exam/{coded.pk}/")
    assert tree.xpath('//div[@id="intro"]//input[@id="access-code"]')
    assert tree.xpath('//label[@for="access-code"]')
    assert CODE not in text and CODE.lower() not in text.lower()
    tree, text = _page(client, f"/exam/{plain.pk}/")
    assert not tree.xpath('//input[@id="access-code"]') and tree.xpath('//button[@id="start"]')

    # The API and the dashboard say a code is needed, and never which.
    assert CODE not in client.get("/api/me/dashboard/").content.decode()
    assert CODE not in client.get(f"/api/attempts/{coded.pk}/").content.decode()


def test_only_students_open_the_review(world):
    teacher = make_user(Role.TEACHER, world.school)
    assert logged_in_client(teacher).get("/exam/attempts/1/review/").status_code == 403
    assert logged_in_client(world.students["An"]).get("/exam/attempts/999999/review/").status_code == 404


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, ""),
        (-5, "less than a minute"),
        (59_999, "less than a minute"),
        (60_000, "1 min"),
        (14 * 60_000 + 59_999, "14 min"),  # whole minutes down: never more time than there is
        (3_600_000, "1 h 00 min"),
        (2 * 3_600_000 + 5 * 60_000, "2 h 05 min"),
        (86_400_000 + 3_600_000 + 61_000, "1 d 1 h"),
    ],
)
def test_waits_read_in_whole_minutes(ms, text):
    from django.utils import translation

    from frontend.student_views import duration_text

    with translation.override("en"):
        assert duration_text(ms) == text
