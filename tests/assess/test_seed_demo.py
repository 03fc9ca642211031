"""The demo data of `make run`: complete, open now, idempotent, and its formulas render."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ClassMembership, Role, SchoolClass, User
from assess.management.commands.seed_demo import (
    EVERY_TYPE,
    FINISHED_TITLE,
    ITEMS,
    LAB_TITLE,
    PASSWORD,
    PRACTICE_TITLE,
    QUIZ_TITLE,
    SCHOOL_YEAR,
    SITTING_TITLE,
)
from assess.models import Attempt, RecordEntry, Result, Sitting
from itembank.importing import ImportDefaults, import_preview
from itembank.interchange.xlsx import template_xlsx
from itembank.models import ItemVersion
from itembank.rendering import render_rich_text
from proctoring.models import SittingRoom
from scoring.item_rules import ITEM_TYPES

pytestmark = pytest.mark.django_db


def test_seed_demo_is_complete_open_and_idempotent():
    call_command("seed_demo")
    sitting = Sitting.objects.get(title=SITTING_TITLE)
    assert sitting.is_open()
    assert sitting.form.form_items.count() == 20
    assert Attempt.objects.filter(sitting=sitting).count() == 40
    # A periodic exam with 4 test codes, dealt in roster order: neighbours differ.
    codes = list(Attempt.objects.filter(sitting=sitting).order_by("pk").values_list("form__code", flat=True))
    assert sorted(set(codes)) == ["101", "102", "103", "104"]
    assert all(a != b for a, b in zip(codes, codes[1:], strict=False))
    # A continuous quiz drawn from a blueprint, assigned to one class.
    quiz = Sitting.objects.get(title=QUIZ_TITLE)
    assert quiz.is_open() and quiz.kind == "assignment" and quiz.max_attempts == 2
    assert list(quiz.classes.values_list("name", flat=True)) == ["12A1"]
    assert quiz.attempts.count() == 14 and quiz.form.blueprint is not None
    assert quiz.form.test_codes.count() == 4
    for username in ["teacher", "proctor", "board", "student01", "student40"]:
        assert User.objects.get(username=username).check_password(PASSWORD)
    assert User.objects.filter(role=Role.STUDENT).count() == 40
    practice = Sitting.objects.get(title=PRACTICE_TITLE)
    assert practice.is_open() and practice.attempts.count() == 40
    kinds = list(practice.form.form_items.order_by("position").values_list("item_version__item__item_type", flat=True))
    assert sorted(kinds) == sorted(ITEM_TYPES)  # one item of every type
    # A closed window is reopened, and nothing is duplicated.
    Sitting.objects.filter(pk=sitting.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(days=2)
    )
    call_command("seed_demo")
    sitting.refresh_from_db()
    assert sitting.is_open()
    assert Sitting.objects.count() == 5 and ItemVersion.objects.count() == 20 + len(EVERY_TYPE)
    # The day after: a mock exam ten students handed in, scored, each essay awaiting its mark.
    finished = Sitting.objects.get(title=FINISHED_TITLE)
    assert finished.closes_at < timezone.now()
    assert set(finished.attempts.values_list("status", flat=True)) == {"scored"}
    assert set(Result.objects.filter(attempt__sitting=finished).values_list("pending_items", flat=True)) == {1}
    assert finished.attempts.count() == 10 and not RecordEntry.objects.filter(attempt__sitting=finished).exists()
    # Exam day in a lab: one class placed in a room whose console is the demo proctor's.
    lab = Sitting.objects.get(title=LAB_TITLE)
    (room,) = SittingRoom.objects.filter(sitting=lab)
    assert list(room.proctors.values_list("username", flat=True)) == ["proctor"]
    assert lab.attempts.count() == lab.attempts.filter(room=room, seat__isnull=False).count() > 0
    assert User.objects.count() == 47  # 40 students, 3 teachers, proctor, board, school administrator, admin
    # Three classes of the school year hold the 40 students; the teacher is 12A1's homeroom teacher.
    classes = SchoolClass.objects.filter(school_year=SCHOOL_YEAR).order_by("name")
    assert [c.name for c in classes] == ["12A1", "12A2", "12A3"]
    assert ClassMembership.objects.filter(left_at__isnull=True).count() == 40
    assert sorted(c.memberships.count() for c in classes) == [13, 13, 14]
    assert [c.homeroom_teacher.username for c in classes] == ["teacher", "teacher2", "teacher3"]
    assert all(c.subject_teachers.filter(teacher__username="teacher").exists() for c in classes)
    assert User.objects.get(username="schooladmin").role == Role.SCHOOL_ADMIN


def test_every_demo_formula_renders_as_mathml():
    for _, _, stem, options, *_ in ITEMS:
        for text in [stem, *options]:
            html = render_rich_text(text)
            assert "latex-error" not in html, text
            if "$" in text:
                assert "<math" in html, text


def test_the_excel_template_imports_into_the_demo():
    """Every example row of the bank's Excel template names a subject the demo has."""
    call_command("seed_demo", verbosity=0)
    report, _planned = import_preview(data=template_xlsx(), filename="template.xlsx", defaults=ImportDefaults())
    assert report.ok, [(row.source, row.errors) for row in report.items if not row.ok]
