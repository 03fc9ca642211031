"""Load the demo: a department, a school, staff, 40 students and an open mathematics sitting.

Idempotent: running it again finds what exists, keeps answers already given, and moves the
demo sitting's window so that it is open now.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Organisation, Role, User
from assess import authoring, selectors, services, sittings, test_codes
from assess.models import Assessment, Form, FormItem, RecordEntryType, Sitting
from itembank import services as bank
from itembank.models import CognitiveLevel, ItemVersion, Subject, Topic

PASSWORD = "demo"
SCHOOL_YEAR = "2026-2027"
SITTING_TITLE = "Kiểm tra giữa kỳ I – Toán 12 (demo)"
MIDTERM_TITLE = "Kiểm tra giữa kỳ I – Toán 12"
LAB_TITLE = "Thi thử trong phòng máy – Toán 12 (demo)"
LAB_NAME = "Phòng máy 1"
QUIZ_TITLE = "Kiểm tra 15 phút – Hàm số và lôgarit (demo)"
FINISHED_TITLE = "Thi thử cuối kỳ I – Toán 12 (demo, đã thi: chấm tự luận, duyệt, công bố)"
# Who sat the finished mock exam, and the essay each wrote (blank for some).
FINISHED_STUDENTS = range(31, 41)
ESSAY = "Ta có y' = -2x + 4 = 0 khi x = 2. So sánh y(0) = 0, y(2) = 4, y(3) = 3: giá trị lớn nhất là 4, tại x = 2."
QUIZ_BLUEPRINT = "Ma trận 15 phút – Hàm số và lôgarit"

# (topic, level, stem, options A-D, key, irt_a, irt_b)
ITEMS = [
    (
        "Hàm số",
        CognitiveLevel.KNOW,
        "Hàm số $y = x^3 - 3x$ đồng biến trên khoảng nào?",
        ["$(-\\infty; -1)$", "$(-1; 1)$", "$(-1; +\\infty)$", "$(0; 2)$"],
        "A",
        1.1,
        -0.8,
    ),
    (
        "Hàm số",
        CognitiveLevel.KNOW,
        "Giá trị cực đại của hàm số $y = -x^2 + 4x - 1$ là",
        ["$1$", "$2$", "$3$", "$4$"],
        "C",
        1.0,
        -1.0,
    ),
    (
        "Hàm số",
        CognitiveLevel.UNDERSTAND,
        "Tiệm cận đứng của đồ thị hàm số $y = \\frac{2x+1}{x-3}$ là",
        ["$x = -3$", "$x = 3$", "$y = 2$", "$x = 2$"],
        "B",
        1.3,
        -0.5,
    ),
    (
        "Hàm số",
        CognitiveLevel.UNDERSTAND,
        "Giá trị lớn nhất của $f(x) = x^3 - 3x + 2$ trên đoạn $[0; 2]$ bằng",
        ["$2$", "$0$", "$4$", "$6$"],
        "C",
        1.2,
        0.0,
    ),
    (
        "Hàm số",
        CognitiveLevel.APPLY,
        "Có bao nhiêu giá trị nguyên của $m$ để hàm số $y = x^3 - 3mx + 1$ đồng biến trên $\\mathbb{R}$?",
        ["$0$", "$1$", "$2$", "Vô số"],
        "B",
        1.4,
        0.9,
    ),
    (
        "Mũ và lôgarit",
        CognitiveLevel.KNOW,
        "Với $a > 0$, biểu thức $a^{\\frac{1}{2}} \\cdot a^{\\frac{3}{2}}$ bằng",
        ["$a$", "$a^2$", "$a^3$", "$\\sqrt{a}$"],
        "B",
        0.9,
        -1.3,
    ),
    ("Mũ và lôgarit", CognitiveLevel.KNOW, "$\\log_2 8$ bằng", ["$2$", "$3$", "$4$", "$8$"], "B", 0.8, -1.6),
    (
        "Mũ và lôgarit",
        CognitiveLevel.UNDERSTAND,
        "Nghiệm của phương trình $2^{x-1} = 16$ là",
        ["$x = 3$", "$x = 4$", "$x = 5$", "$x = 17$"],
        "C",
        1.1,
        -0.4,
    ),
    (
        "Mũ và lôgarit",
        CognitiveLevel.UNDERSTAND,
        "Tập nghiệm của bất phương trình $\\log_3 (x - 1) < 2$ là",
        ["$(1; 10)$", "$(-\\infty; 10)$", "$(1; 9)$", "$(10; +\\infty)$"],
        "A",
        1.2,
        0.2,
    ),
    (
        "Mũ và lôgarit",
        CognitiveLevel.APPLY,
        "Một khoản tiền 100 triệu đồng gửi với lãi suất 6% một năm, lãi nhập gốc. Sau ít nhất bao nhiêu năm số tiền vượt 150 triệu đồng?",
        ["6 năm", "7 năm", "8 năm", "9 năm"],
        "B",
        1.3,
        1.0,
    ),
    (
        "Nguyên hàm và tích phân",
        CognitiveLevel.KNOW,
        "Một nguyên hàm của $f(x) = 3x^2$ là",
        ["$x^3$", "$6x$", "$3x^3$", "$x^2$"],
        "A",
        1.0,
        -1.2,
    ),
    (
        "Nguyên hàm và tích phân",
        CognitiveLevel.KNOW,
        "$\\int_0^1 2x \\, dx$ bằng",
        ["$0$", "$\\frac{1}{2}$", "$1$", "$2$"],
        "C",
        1.0,
        -0.9,
    ),
    (
        "Nguyên hàm và tích phân",
        CognitiveLevel.UNDERSTAND,
        "$\\int_0^{\\pi} \\sin x \\, dx$ bằng",
        ["$0$", "$1$", "$2$", "$-2$"],
        "C",
        1.2,
        -0.2,
    ),
    (
        "Nguyên hàm và tích phân",
        CognitiveLevel.APPLY,
        "Diện tích hình phẳng giới hạn bởi $y = x^2$ và $y = x$ bằng",
        ["$\\frac{1}{2}$", "$\\frac{1}{3}$", "$\\frac{1}{6}$", "$\\frac{1}{12}$"],
        "C",
        1.5,
        0.8,
    ),
    (
        "Hình học không gian",
        CognitiveLevel.KNOW,
        "Thể tích khối lập phương cạnh $a$ là",
        ["$a^2$", "$3a$", "$a^3$", "$\\frac{a^3}{3}$"],
        "C",
        0.8,
        -1.8,
    ),
    (
        "Hình học không gian",
        CognitiveLevel.KNOW,
        "Thể tích khối chóp có diện tích đáy $B$ và chiều cao $h$ là",
        ["$Bh$", "$\\frac{1}{3}Bh$", "$\\frac{1}{2}Bh$", "$3Bh$"],
        "B",
        0.9,
        -1.1,
    ),
    (
        "Hình học không gian",
        CognitiveLevel.UNDERSTAND,
        "Khối cầu bán kính $R = 3$ có thể tích bằng",
        ["$36\\pi$", "$12\\pi$", "$27\\pi$", "$9\\pi$"],
        "A",
        1.1,
        0.1,
    ),
    (
        "Tọa độ trong không gian",
        CognitiveLevel.KNOW,
        "Trong không gian $Oxyz$, độ dài của vectơ $\\vec{u} = (1; 2; 2)$ là",
        ["$5$", "$3$", "$9$", "$\\sqrt{5}$"],
        "B",
        1.0,
        -0.7,
    ),
    (
        "Tọa độ trong không gian",
        CognitiveLevel.UNDERSTAND,
        "Mặt phẳng đi qua $A(1; 0; 0)$ và có vectơ pháp tuyến $\\vec{n} = (2; -1; 3)$ có phương trình",
        ["$2x - y + 3z - 2 = 0$", "$2x - y + 3z + 2 = 0$", "$x - 2 = 0$", "$2x + y + 3z - 2 = 0$"],
        "A",
        1.2,
        0.3,
    ),
    (
        "Tọa độ trong không gian",
        CognitiveLevel.APPLY,
        "Khoảng cách từ điểm $M(1; 2; 3)$ đến mặt phẳng $(P): 2x + 2y - z + 3 = 0$ bằng",
        ["$1$", "$2$", "$3$", "$\\frac{4}{3}$"],
        "B",
        1.4,
        0.7,
    ),
]


PRACTICE_TITLE = "Luyện tập – mọi dạng câu hỏi (demo) / Practice – every item type"

# (item type, level, content, points): one item of each kind the bank holds, in the order of
# the national format (Phần I, II, III) and then the other kinds.
EVERY_TYPE = [
    (
        "single_choice",
        CognitiveLevel.KNOW,
        {
            "stem": "Nghiệm của phương trình $2^x = 8$ là",
            "options": [
                {"id": k, "text": t} for k, t in zip("ABCD", ["$x = 2$", "$x = 3$", "$x = 4$", "$x = 8$"], strict=True)
            ],
            "key": "B",
        },
        "0.25",
    ),
    (
        "true_false_group",
        CognitiveLevel.UNDERSTAND,
        {
            "stem": "Cho hàm số $y = x^3 - 3x + 1$. Xét tính đúng sai của các mệnh đề sau.",
            "statements": [
                {"id": "a", "text": "Hàm số có hai điểm cực trị."},
                {"id": "b", "text": "Hàm số đồng biến trên $\\mathbb{R}$."},
                {"id": "c", "text": "$y'(1) = 0$."},
                {"id": "d", "text": "Đồ thị hàm số đi qua điểm $(0; 1)$."},
            ],
            "keys": {"a": True, "b": False, "c": True, "d": True},
        },
        "1",
    ),
    (
        "short_numeric",
        CognitiveLevel.APPLY,
        {
            "stem": "Giải phương trình $2x + 3 = 0$. Viết nghiệm dưới dạng số thập phân.",
            "boxes": 4,
            "answer": "-1.5",
            "tolerance": "0",
        },
        "0.5",
    ),
    (
        "multiple_response",
        CognitiveLevel.KNOW,
        {
            "stem": "Chọn tất cả các số nguyên tố.",
            "options": [{"id": k, "text": t} for k, t in zip("ABCD", ["2", "4", "5", "9"], strict=True)],
            "scoring": "partial",
            "keys": ["A", "C"],
        },
        "0.5",
    ),
    (
        "text_entry",
        CognitiveLevel.KNOW,
        {
            "stem": "Đạo hàm của $\\sin x$ là ______ (viết không dấu cách).",
            "match": "normalised",
            "ignore_diacritics": False,
            "answers": ["cos x", "cosx"],
        },
        "0.5",
    ),
    (
        "inline_choice",
        CognitiveLevel.UNDERSTAND,
        {
            "stem": "Hàm số $y = e^x$ luôn {{g1}} trên $\\mathbb{R}$ và đồ thị của nó cắt trục tung tại điểm có tung độ bằng {{g2}}.",
            "gaps": [
                {"id": "g1", "options": [{"id": "x", "text": "đồng biến"}, {"id": "y", "text": "nghịch biến"}]},
                {"id": "g2", "options": [{"id": "p", "text": "0"}, {"id": "q", "text": "1"}, {"id": "r", "text": "e"}]},
            ],
            "scoring": "per_gap",
            "keys": {"g1": "x", "g2": "q"},
        },
        "0.5",
    ),
    (
        "matching",
        CognitiveLevel.UNDERSTAND,
        {
            "stem": "Ghép mỗi hàm số với đạo hàm của nó.",
            "premises": [{"id": "1", "text": "$x^2$"}, {"id": "2", "text": "$\\ln x$"}, {"id": "3", "text": "$e^x$"}],
            "responses": [
                {"id": "a", "text": "$2x$"},
                {"id": "b", "text": "$\\frac{1}{x}$"},
                {"id": "c", "text": "$e^x$"},
            ],
            "scoring": "per_pair",
            "pairs": {"1": "a", "2": "b", "3": "c"},
        },
        "0.75",
    ),
    (
        "ordering",
        CognitiveLevel.APPLY,
        {
            "stem": "Sắp xếp các bước khảo sát hàm số theo đúng thứ tự.",
            "elements": [
                {"id": "s1", "text": "Tìm tập xác định"},
                {"id": "s2", "text": "Tính đạo hàm và tìm nghiệm của $y' = 0$"},
                {"id": "s3", "text": "Lập bảng biến thiên"},
                {"id": "s4", "text": "Vẽ đồ thị"},
            ],
            "scoring": "all_or_nothing",
            "order": ["s1", "s2", "s3", "s4"],
        },
        "0.5",
    ),
    (
        "essay",
        CognitiveLevel.APPLY,
        {
            "stem": "Trình bày cách tìm giá trị lớn nhất của hàm số $y = -x^2 + 4x$ trên đoạn $[0; 3]$.",
            "rubric": [
                {
                    "criterion": "Lời giải",
                    "levels": [{"label": "Đầy đủ", "points": "1"}, {"label": "Chưa đủ", "points": "0"}],
                },
                {
                    "criterion": "Trình bày",
                    "levels": [{"label": "Rõ ràng", "points": "0.5"}, {"label": "Chưa rõ", "points": "0"}],
                },
            ],
            "max_words": 300,
        },
        "1.5",
    ),
]


class Command(BaseCommand):
    help = (
        "Load the demo school, users, an open 20-item mathematics sitting and a practice sitting "
        "with every item type (idempotent)."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        department, _ = Organisation.objects.get_or_create(
            code="so-gd-demo", defaults={"name": "Sở GD&ĐT Demo", "kind": Organisation.Kind.DEPARTMENT}
        )
        school, _ = Organisation.objects.get_or_create(
            code="thpt-demo",
            defaults={"name": "Trường THPT Demo", "kind": Organisation.Kind.SCHOOL, "parent": department},
        )
        teacher = self._user("teacher", Role.TEACHER, school, "Nguyễn Thị", "Lan")
        proctor = self._user("proctor", Role.PROCTOR, school, "Trần Văn", "Hùng")
        board = self._user("board", Role.BOARD, department, "Lê Minh", "Châu")
        # The Django admin is for platform administrators only (accounts.permissions.can_use_admin).
        self._user("admin", Role.ADMIN, None, "Quản trị", "hệ thống", staff=True, superuser=True)
        students = [
            self._user(f"student{n:02d}", Role.STUDENT, school, "Học sinh", f"{n:02d}", learner_id=f"HS2026{n:04d}")
            for n in range(1, 41)
        ]

        subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
        # The bank's Excel template names Toán and Địa lí in its example rows
        # (itembank.interchange.xlsx): with both here, the template imports as it is.
        Subject.objects.get_or_create(code="dia-li", defaults={"name": "Địa lí"})
        versions = self._items(teacher, board, subject)

        school_admin = self._user("schooladmin", Role.SCHOOL_ADMIN, school, "Phạm Thu", "Hà")
        homerooms = [
            teacher,
            self._user("teacher2", Role.TEACHER, school, "Võ Văn", "Bình"),
            self._user("teacher3", Role.TEACHER, school, "Đặng Thu", "Trang"),
        ]
        classes = self._classes(school_admin, school, homerooms, students, subject)

        now = timezone.now()
        opens_at, closes_at = now - timedelta(hours=1), now + timedelta(days=7)
        sitting = self._midterm(board, school, subject, versions, classes, opens_at, closes_at)
        quiz = self._quiz(teacher, school, subject, classes[0], opens_at, closes_at)
        practice = self._practice(teacher, board, subject, school, students)
        lab = self._lab(board, school_admin, proctor, sitting.form, classes[1], opens_at, closes_at)
        finished = self._finished(board, school, subject, versions, students)
        self._records(school_admin, homerooms, school, subject, classes[0])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: school '{school.name}', sitting '{sitting.title}' (id {sitting.pk}, "
                f"{Form.objects.filter(parent=sitting.form).count()} test codes), the quiz '{quiz.title}' "
                f"assigned to {classes[0].name}, '{lab.title}' placed in a lab for {classes[1].name} (the "
                f"proctor's console), '{finished.title}' (handed in, essays to mark), and '{practice.title}' (every item type) "
                f"open until {sitting.closes_at:%Y-%m-%d %H:%M} UTC with {sitting.attempts.count()} candidates. "
                f"Logins: admin (the Django admin), schooladmin (classes and rosters), teacher, teacher2, teacher3, "
                f"proctor, board, student01..student40; password '{PASSWORD}'."
            )
        )

    def _midterm(self, board: User, school, subject: Subject, versions, classes, opens_at, closes_at) -> Sitting:
        """The periodic exam: 20 single-choice items at 0.5, a master form and 4 test codes,
        the three classes enrolled in roster order (neighbours get different codes)."""
        part = authoring.PartSpec("Phần I", len(versions), Decimal("0.5"), "single_choice")
        assessment = self._assessment(
            board, school, subject, MIDTERM_TITLE, Assessment.Kind.PERIODIC, RecordEntryType.MIDTERM, 45, part
        )
        form = Form.objects.filter(assessment=assessment, kind=Form.Kind.MASTER).order_by("pk").first()
        if form is None:
            form = authoring.form_build(
                by=board, assessment_id=assessment.pk, code="GOC", item_ids=[[v.item_id for v in versions]]
            )
        self._codes(board, form)
        sitting = Sitting.objects.filter(title=SITTING_TITLE, form=form).first()
        candidates = sittings.Candidates(class_ids=tuple(c.pk for c in classes))
        if sitting is None:
            spec = sittings.SittingSpec(title=SITTING_TITLE, opens_at=opens_at, closes_at=closes_at)
            sitting, _enrolment = sittings.sitting_schedule(by=board, form_id=form.pk, spec=spec, candidates=candidates)
        else:
            self._keep_open(board, sitting, opens_at, closes_at)
            sittings.sitting_enrol(by=board, sitting_id=sitting.pk, candidates=candidates)
        return sitting

    def _finished(self, board: User, school, subject: Subject, versions, students) -> Sitting:
        """A mock exam taken and handed in by ten students, scored, its essays awaiting marks:
        what the board marks (or has marked), moderates and publishes the day after."""
        sitting = Sitting.objects.filter(title=FINISHED_TITLE).first()
        if sitting is not None:
            return sitting
        essay = (
            ItemVersion.objects.filter(item__source__startswith="demo:every-type:", item__item_type="essay")
            .order_by("-number")
            .first()
        )
        assessment = self._assessment(
            board,
            school,
            subject,
            "Thi thử cuối kỳ I – Toán 12",
            Assessment.Kind.PERIODIC,
            RecordEntryType.ENDTERM,
            45,
            authoring.PartSpec("Phần I", 8, Decimal("1"), "single_choice"),
            authoring.PartSpec("Phần II", 1, Decimal("2"), "essay"),
        )
        form = Form.objects.filter(assessment=assessment, code="301").first()
        if form is None:
            form = authoring.form_build(
                by=board,
                assessment_id=assessment.pk,
                code="301",
                item_ids=[[v.item_id for v in versions[:8]], [essay.item_id]],
            )
        now = timezone.now()
        takers = [students[n - 1] for n in FINISHED_STUDENTS]
        sitting = self._schedule(
            board, form, FINISHED_TITLE, now - timedelta(minutes=50), now + timedelta(minutes=5), takers
        )
        rng = random.Random(2026)
        for attempt in sitting.attempts.select_related("student").order_by("pk"):
            token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
            services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
            slots = selectors.form_index(attempt.form_id)
            seq = 0
            for position, slot in sorted(slots.items()):
                form_item = FormItem.objects.select_related("item_version__item").get(pk=slot.form_item_id)
                if form_item.item_version.item.item_type == "essay":
                    value: object = ESSAY if rng.random() < 0.8 else ""
                else:
                    key = form_item.item_version.scoring_key()["key"]
                    chosen = key if rng.random() < 0.7 else rng.choice("ABCD")
                    value = form_item.response_ids.get("options", {}).get(chosen, chosen)
                seq += 1
                services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=seq, item=position, value=value)
            services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
            services.attempt_score(attempt_id=attempt.pk)
        # the window is over: it ended five minutes ago
        Sitting.objects.filter(pk=sitting.pk).update(
            opens_at=now - timedelta(hours=2), closes_at=now - timedelta(minutes=5)
        )
        sitting.refresh_from_db()
        return sitting

    def _lab(self, board: User, school_admin: User, proctor: User, form: Form, school_class, opens_at, closes_at):
        """Exam day in a lab: the midterm's form for one class, placed in "Phòng máy 1" (a 4 × 5
        lab with two spare seats) with the demo proctor, who checks candidates in, opens the room
        and watches its console (proctoring)."""
        from proctoring import services as proctoring
        from proctoring.models import Room, SittingRoom

        room = Room.objects.filter(organisation=form.assessment.organisation, name=LAB_NAME).first()
        if room is None:
            spec = proctoring.RoomSpec(name=LAB_NAME, rows=4, columns=5, spares=("D4", "D5"), proctors_needed=1)
            room = proctoring.room_save(by=school_admin, organisation_id=form.assessment.organisation_id, spec=spec)
        sitting = Sitting.objects.filter(title=LAB_TITLE, form=form).first()
        candidates = sittings.Candidates(class_ids=(school_class.pk,))
        if sitting is None:
            spec = sittings.SittingSpec(title=LAB_TITLE, opens_at=opens_at, closes_at=closes_at)
            sitting, _enrolment = sittings.sitting_schedule(by=board, form_id=form.pk, spec=spec, candidates=candidates)
        else:
            self._keep_open(board, sitting, opens_at, closes_at)
        if not SittingRoom.objects.filter(sitting=sitting).exists() and proctoring.placing_allowed(sitting):
            plan = [proctoring.RoomPlan(room_id=room.pk, proctor_ids=(proctor.pk,))]
            proctoring.sitting_place(by=board, sitting_id=sitting.pk, plan=plan, seed=2026)
        return sitting

    @staticmethod
    def _assessment(by: User, school, subject: Subject, title: str, kind, entry, minutes: int, *parts) -> Assessment:
        found = Assessment.objects.filter(title=title, organisation=school).first()
        return found or authoring.assessment_create(
            by=by,
            spec=authoring.AssessmentSpec(
                title=title,
                kind=kind,
                subject_id=subject.pk,
                grade=12,
                school_year=SCHOOL_YEAR,
                term=1,
                record_entry_type=entry,
                duration_minutes=minutes,
                parts=parts,
                organisation_id=school.pk,
            ),
        )

    @staticmethod
    def _codes(by: User, form: Form) -> None:
        """4 test codes, unless it has them or a sitting of it opened (a demo from before codes)."""
        if not form.test_codes.exists() and not authoring.form_is_frozen(form):
            test_codes.codes_generate(by=by, form_id=form.pk, count=4, seed=2026)

    def _quiz(self, teacher: User, school, subject: Subject, school_class, opens_at, closes_at) -> Sitting:
        """A teacher's 15-minute continuous quiz drawn from a blueprint, with 4 test codes,
        assigned to their homeroom class: two attempts, the best counts, the correct answers
        shown after each submission."""
        from assess.blueprints import BlueprintSpec, CellSpec, PartSpec, blueprint_create
        from assess.models import Blueprint

        topics = {t.name: t.pk for t in Topic.objects.filter(subject=subject, parent=None)}
        blueprint = Blueprint.objects.filter(title=QUIZ_BLUEPRINT, owner=school).first()
        if blueprint is None:
            cells = (
                CellSpec(topic_id=topics["Hàm số"], level=CognitiveLevel.KNOW, item_count=2),
                CellSpec(topic_id=topics["Hàm số"], level=CognitiveLevel.UNDERSTAND, item_count=2),
                CellSpec(topic_id=topics["Mũ và lôgarit"], level=CognitiveLevel.KNOW, item_count=1),
            )
            blueprint = blueprint_create(
                by=teacher,
                spec=BlueprintSpec(
                    title=QUIZ_BLUEPRINT,
                    subject_id=subject.pk,
                    grade=12,
                    owner_id=school.pk,
                    parts=(PartSpec("Phần I", "single_choice", Decimal("2"), cells),),
                ),
            )
        part = authoring.PartSpec("Phần I", 5, Decimal("2"), "single_choice")
        assessment = self._assessment(
            teacher, school, subject, QUIZ_TITLE, Assessment.Kind.CONTINUOUS, RecordEntryType.CONTINUOUS, 15, part
        )
        form = Form.objects.filter(assessment=assessment, kind=Form.Kind.MASTER).order_by("pk").first()
        if form is None:
            draw = authoring.form_draw(
                by=teacher, assessment_id=assessment.pk, blueprint_id=blueprint.pk, code="GOC", seed=2026
            )
            form = draw.form
        self._codes(teacher, form)
        sitting = Sitting.objects.filter(title=QUIZ_TITLE, form=form).first()
        if sitting is None:
            spec = sittings.SittingSpec(
                title=QUIZ_TITLE,
                opens_at=opens_at,
                closes_at=closes_at,
                max_attempts=2,
                counting=Sitting.Counting.BEST,
                feedback_timing=Sitting.FeedbackTiming.AFTER_SUBMIT,
                feedback_detail=Sitting.FeedbackDetail.ANSWERS,
            )
            sitting, _enrolment = sittings.sitting_schedule(
                by=teacher, form_id=form.pk, spec=spec, candidates=sittings.Candidates(class_ids=(school_class.pk,))
            )
        else:
            self._keep_open(teacher, sitting, opens_at, closes_at)
        return sitting

    def _practice(self, teacher: User, reviewer: User, subject: Subject, school, students) -> Sitting:
        """A continuous-assessment sitting with one item of every type."""
        topic, _ = Topic.objects.get_or_create(subject=subject, parent=None, name="Luyện tập")
        versions = []
        for number, (item_type, level, document, points) in enumerate(EVERY_TYPE, start=1):
            source = f"demo:every-type:{number}"
            version = ItemVersion.objects.filter(item__source=source).order_by("-number").first()
            if version is None:
                version = bank.item_create(
                    by=teacher,
                    subject=subject,
                    topic=topic,
                    level=level,
                    item_type=item_type,
                    content=document,
                    points=points,
                    source=source,
                    grade=12,
                )
            versions.append(self._release(version, teacher, reviewer))
        assessment, _ = Assessment.objects.get_or_create(
            title="Luyện tập – mọi dạng câu hỏi",
            organisation=school,
            defaults={
                "kind": Assessment.Kind.CONTINUOUS,
                "subject": subject,
                "duration": timedelta(minutes=30),
                "school_year": "2026-2027",
                "term": 1,
                "record_entry_type": RecordEntryType.CONTINUOUS,
                "created_by": reviewer,
            },
        )
        form = Form.objects.filter(assessment=assessment, code="LT1").first()
        if form is None:
            form = authoring.form_of_versions(by=reviewer, assessment=assessment, code="LT1", item_versions=versions)
        now = timezone.now()
        sitting = Sitting.objects.filter(title=PRACTICE_TITLE, form=form).first()
        if sitting is None:
            return self._schedule(
                reviewer, form, PRACTICE_TITLE, now - timedelta(hours=1), now + timedelta(days=7), students
            )
        self._keep_open(reviewer, sitting, now - timedelta(hours=1), now + timedelta(days=7))
        return sitting

    @staticmethod
    def _candidates(students) -> sittings.Candidates:
        return sittings.Candidates(names=tuple(student.username for student in students))

    def _schedule(self, by: User, form: Form, title: str, opens_at, closes_at, students) -> Sitting:
        spec = sittings.SittingSpec(title=title, opens_at=opens_at, closes_at=closes_at)
        sitting, _enrolment = sittings.sitting_schedule(
            by=by, form_id=form.pk, spec=spec, candidates=self._candidates(students)
        )
        return sitting

    @staticmethod
    def _keep_open(by: User, sitting: Sitting, opens_at, closes_at) -> None:
        """A demo run days later finds its sittings open again (the move is audited)."""
        now = timezone.now()
        if not sitting.is_open(now) or sitting.closes_at < now + timedelta(days=1):
            sittings.sitting_reschedule(
                by=by,
                sitting_id=sitting.pk,
                opens_at=min(sitting.opens_at, opens_at),
                closes_at=closes_at,
                latest_start=None,
                reason="demo data: kept open",
            )

    def _release(self, version: ItemVersion, teacher: User, reviewer: User) -> ItemVersion:
        """Through the review workflow, step by step from wherever a previous run left it."""
        if version.status == ItemVersion.Status.DRAFT:
            version = bank.item_version_submit(by=teacher, version_id=version.pk)
        if version.status == ItemVersion.Status.SUBMITTED:
            version = bank.item_version_approve(by=reviewer, version_id=version.pk)
        return bank.item_version_publish(by=reviewer, version_id=version.pk)

    def _records(self, school_admin: User, teachers: list[User], school, subject: Subject, school_class) -> None:
        """Class 12A1's records of semester I: Toán by score (105 periods a year: 4 continuous
        assessments) and Giáo dục thể chất by comment (70 periods: 3), taught by teacher2; the
        paper tests entered by their teachers through the records service, the last continuous
        score of Toán left to enter (once only: a run again adds nothing)."""
        import random

        from accounts.models import ClassTeacher
        from assess.models import RecordEntry
        from records import services as records

        pe, _ = Subject.objects.get_or_create(code="gdtc", defaults={"name": "Giáo dục thể chất"})
        ClassTeacher.objects.get_or_create(school_class=school_class, teacher=teachers[1], subject=pe)
        for rule_subject, mode, periods in ((subject, "scored", 105), (pe, "comment", 70)):
            records.subject_rule_set(
                by=school_admin,
                organisation_id=school.pk,
                school_year=SCHOOL_YEAR,
                grade=school_class.grade,
                subject_id=rule_subject.pk,
                mode=mode,
                periods=periods,
            )
        if RecordEntry.objects.filter(subject=pe, school_year=SCHOOL_YEAR, source="teacher").exists():
            return
        rng = random.Random(27)
        for membership in school_class.memberships.filter(left_at__isnull=True).select_related("student"):
            student = membership.student
            for _n in range(3):
                records.entry_enter(
                    by=teachers[0],
                    class_id=school_class.pk,
                    subject_id=subject.pk,
                    student_id=student.pk,
                    term=1,
                    entry_type="continuous",
                    score=str(rng.choice(range(50, 101)) / 10),
                    note="Kiểm tra miệng",
                )
            for kind in ("continuous", "continuous", "continuous", "midterm", "endterm"):
                records.entry_enter(
                    by=teachers[1],
                    class_id=school_class.pk,
                    subject_id=pe.pk,
                    student_id=student.pk,
                    term=1,
                    entry_type=kind,
                    comment="Đạt" if rng.random() < 0.95 else "Chưa đạt",
                )

    def _classes(self, school_admin: User, school, homerooms: list[User], students: list[User], subject) -> list:
        """Three classes of the school year with their homeroom teachers, the 40 students
        spread over them, and the first teacher teaching mathematics in all three (through
        the same services as the Classes page)."""
        from accounts import services as account_services
        from accounts.models import ClassTeacher, SchoolClass

        classes = []
        for name, homeroom in zip(("12A1", "12A2", "12A3"), homerooms, strict=True):
            found = SchoolClass.objects.filter(school=school, school_year=SCHOOL_YEAR, name=name).first()
            if found is None:
                found = account_services.class_create(
                    by=school_admin,
                    school_id=school.pk,
                    school_year=SCHOOL_YEAR,
                    name=name,
                    grade=12,
                    homeroom_teacher_id=homeroom.pk,
                )
            elif found.homeroom_teacher_id is None:
                found = account_services.class_update(
                    by=school_admin, class_id=found.pk, changes={"homeroom_teacher": homeroom.pk}
                )
            ClassTeacher.objects.get_or_create(school_class=found, teacher=homerooms[0], subject=subject)
            classes.append(found)
        for index, student in enumerate(students):
            account_services.class_place_student(
                by=school_admin, class_id=classes[index * len(classes) // len(students)].pk, student_id=student.pk
            )
        return classes

    def _user(
        self, username, role, organisation, family, given, *, staff=False, superuser=False, learner_id=None
    ) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                role=role,
                organisation=organisation,
                first_name=given,
                last_name=family,
                is_staff=staff,
                is_superuser=superuser,
                learner_id=learner_id,
            )
            user.password = self._password_hash()
            user.full_clean()
            user.save()
        elif user.is_staff and not staff:
            # Earlier demos made teachers and the board staff; the admin is for administrators now.
            User.objects.filter(pk=user.pk).update(is_staff=False)
            user.is_staff = False
        return user

    def _password_hash(self) -> str:
        """One hash of the demo password for every demo user (hashing is slow on purpose)."""
        if not hasattr(self, "_hash"):
            self._hash = make_password(PASSWORD)
        return self._hash

    def _items(self, teacher: User, reviewer: User, subject: Subject) -> list[ItemVersion]:
        versions = []
        for number, (topic_name, level, stem, options, key, a, b) in enumerate(ITEMS, start=1):
            topic, _ = Topic.objects.get_or_create(subject=subject, parent=None, name=topic_name)
            source = f"demo:{number}"
            existing = (
                ItemVersion.objects.filter(item__subject=subject, item__source=source).order_by("-number").first()
            )
            if existing is None:
                existing = bank.item_create(
                    by=teacher,
                    subject=subject,
                    topic=topic,
                    level=level,
                    content={
                        "stem": escape(stem),
                        "options": [
                            {"id": letter, "text": escape(text)} for letter, text in zip("ABCD", options, strict=True)
                        ],
                        "key": key,
                    },
                    points="0.5",
                    source=source,
                    grade=12,
                    expected_seconds=90,
                )
            released = self._release(existing, teacher, reviewer)
            if released.irt_a is None:
                # Parameters from an earlier calibration, recorded by the exam board.
                released = bank.item_version_set_calibration(
                    by=reviewer, version_id=released.pk, irt_a=a, irt_b=b, calibration="demo: 2025 field test"
                )
            versions.append(released)
        return versions
