"""The records pages (Circular 22): the classes a person keeps records of, a class's records
(the homeroom teacher's), a subject's gradebook (the subject teacher's), the subjects' rules
(the school administrator's) and a student's own record. Thin: the data come from
``records.selectors``, the actions go through the REST API (``records.js``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import ClassTeacher, Organisation, Role, User, validate_school_year
from accounts.permissions import CLASS_READERS, STUDENTS, page_for, scope_of
from assess.models import RecordEntryType
from itembank.models import Subject
from records import primary, selectors, services, transcripts
from records.models import RecordEvent, SubjectRule
from scoring import grades

from .records_text import records_text
from .templatetags.ui import score as score_text

PERIOD_LABELS = {"1": "I", "2": "II"}


def _class_or_404(request: HttpRequest, class_id: int):
    school_class = selectors.classes_of(request.user).filter(pk=class_id).first()
    if school_class is None:
        raise Http404
    return school_class


@page_for(*CLASS_READERS)
def records_home(request: HttpRequest) -> HttpResponse:
    """The classes whose records the person keeps or reads, with their subjects."""
    classes = selectors.classes_data(request.user, selectors.classes_of(request.user))
    subjects = dict(Subject.objects.values_list("pk", "name"))
    for row in classes:
        row["subject_names"] = [(pk, subjects.get(pk, "")) for pk in row["subjects"]]
    scope = scope_of(request.user)
    return render(
        request,
        "frontend/records_list.html",
        {"classes": classes, "can_set_rules": scope.has_role(Role.SCHOOL_ADMIN, Role.BOARD, Role.ADMIN)},
    )


@page_for(*CLASS_READERS)
def records_class(request: HttpRequest, class_id: int) -> HttpResponse:
    """A class's records: every student's averages by subject, semester and year, levels,
    retakes; closing a semester; the changes kept."""
    school_class = _class_or_404(request, class_id)
    if primary.is_primary(school_class):
        return _primary_class(request, school_class)
    try:
        services.refuse_unless_reader(request.user, school_class)
    except PermissionDenied:
        raise Http404 from None
    data = selectors.class_data(selectors.class_record(school_class))
    period = request.GET.get("period") if request.GET.get("period") in selectors.PERIODS else "1"
    names = {rule["subject"]: rule["name"] for rule in data["subjects"]}
    for student in data["students"]:
        student["retake_names"] = [names[pk] for pk in student["retakes"]]
        student["cells"] = [
            {
                "name": names[subject["subject"]],
                **(subject["year"] if period == selectors.YEAR else subject["terms"][period]),
            }
            for subject in student["subjects"]
        ]
        student["level"] = student["levels"][period]
    return render(
        request,
        "frontend/records_class.html",
        {
            "record": data,
            "school_class": school_class,
            "period": period,
            "periods": [("1", _("Semester I")), ("2", _("Semester II")), (selectors.YEAR, _("Whole year"))],
            "closings": [
                {
                    "term": term,
                    "label": _("Semester %(n)s") % {"n": PERIOD_LABELS[term]},
                    "closing": data["closed"].get(term),
                }
                for term in ("1", "2")
            ],
            "events": _events(school_class),
            "may_close": selectors.is_homeroom(request.user, school_class)
            or selectors.oversees_school(request.user, school_class),
            "may_reopen": selectors.oversees_school(request.user, school_class),
            "bank_config": {"class": school_class.pk},
            "bank_text": records_text(),
        },
    )


def _events(school_class) -> list[dict]:
    kinds = dict(RecordEvent.Kind.choices)
    entries = {
        **dict(RecordEntryType.choices),
        **{code: str(name) for code, name in primary.ASPECTS},
        "level": _("level"),
    }
    events = selectors.events_data(school_class, limit=50)
    for event in events:
        event["kind_label"] = kinds.get(event["kind"], event["kind"])
        event["entry_label"] = entries.get(event["entry_type"], "")
        event["at_dt"] = parse_datetime(event["at"])
        event["before_text"] = _shown(event["before"])
        event["after_text"] = _shown(event["after"])
    return events


def _shown(value: dict | None) -> str:
    """An entry's value as the page writes it: a score in the reader's number format, a
    comment result or a level as it is."""
    if not value:
        return ""
    if value.get("score"):
        return score_text(value["score"])
    return value.get("comment") or value.get("level") or ""


@page_for(*CLASS_READERS)
def records_gradebook(request: HttpRequest, class_id: int, subject_id: int) -> HttpResponse:
    """One subject of a class in one semester: entries, averages, comments; the subject
    teacher enters, corrects and removes what was not taken on the computer."""
    school_class = _class_or_404(request, class_id)
    if not selectors.may_read_subject(request.user, school_class, subject_id):
        raise Http404
    term = 2 if request.GET.get("term") == "2" else 1
    if primary.is_primary(school_class):  # Circular 27: every subject on the class's page
        return redirect(f"{reverse('records-class', args=[school_class.pk])}?period={term}")
    record = selectors.class_record(school_class)
    if subject_id not in record["rules"]:
        raise Http404
    data = selectors.gradebook_data(record, subject_id, term)
    rule = data["subject"]
    slots = max([rule["continuous"]] + [len(row["continuous"]) for row in data["students"]])
    for row in data["students"]:
        row["continuous_slots"] = row["continuous"] + [None] * (slots - len(row["continuous"]))
    keeps = scope_of(request.user).is_admin or selectors.teaches(request.user, school_class, subject_id)
    return render(
        request,
        "frontend/records_gradebook.html",
        {
            "book": data,
            "school_class": school_class,
            "slots": range(1, slots + 1),
            "scored": rule["mode"] == SubjectRule.Mode.SCORED,
            "keeps": keeps and not data["closed"],
            "term_label": PERIOD_LABELS[str(term)],
            "bank_config": {
                "class": school_class.pk,
                "subject": subject_id,
                "term": term,
                "scored": rule["mode"] == SubjectRule.Mode.SCORED,
            },
            "bank_text": records_text(),
        },
    )


@page_for(Role.SCHOOL_ADMIN, Role.BOARD, Role.ADMIN)
def records_rules(request: HttpRequest) -> HttpResponse:
    """How each subject is assessed in each grade: the school administrator's (or the board's
    for a department)."""
    scope = scope_of(request.user)
    organisations = Organisation.objects.order_by("kind", "name")
    if not scope.is_admin:
        organisations = organisations.filter(pk__in=scope.overseen)
    organisations = list(organisations[:200])
    year = request.GET.get("school_year") or ""
    try:
        validate_school_year(year)
    except ValidationError:
        year = ""  # not a school year (2026-2027): nothing to show yet
    chosen = next((o for o in organisations if str(o.pk) == request.GET.get("organisation")), None)
    chosen = chosen or (next((o for o in organisations if o.pk == request.user.organisation_id), None))
    rules = []
    if chosen and year:
        rules = list(selectors.rules_of(request.user, chosen.pk, year).select_related("subject"))
    return render(
        request,
        "frontend/records_rules.html",
        {
            "organisations": organisations,
            "chosen": chosen,
            "school_year": year,
            "rules": rules,
            "subjects": Subject.objects.order_by("name"),
            "modes": SubjectRule.Mode.choices,
            "bank_config": {},
            "bank_text": records_text(),
        },
    )


@page_for(*STUDENTS)
def my_record(request: HttpRequest) -> HttpResponse:
    """A student's own record: the entries they may see, by school year, semester and subject,
    with the averages and levels of their class's record."""
    from assess.selectors import record_of_student

    entries = list(
        record_of_student(request.user.pk, published_only=True).order_by(
            "school_year", "term", "subject__name", "created_at"
        )
    )
    years: dict[str, dict] = {}
    for entry in entries:
        year = years.setdefault(entry.school_year, {"year": entry.school_year, "subjects": {}})
        subject = year["subjects"].setdefault(
            entry.subject_id, {"id": entry.subject_id, "name": entry.subject.name, "1": [], "2": []}
        )
        subject[str(entry.term)].append(entry)
    summaries = []
    for year in sorted(years):
        try:
            school_class = services.class_of(request.user.pk, year)
        except ValidationError:  # no class that year: the entries alone
            summaries.append({"year": year, "subjects": list(years[year]["subjects"].values()), "record": None})
            continue
        record = selectors.class_record(school_class, students=[request.user])
        mine = selectors.class_data(record)
        own = mine["students"][0] if mine["students"] else None
        periods = {row["subject"]: row for row in own["subjects"]} if own else {}
        for subject in years[year]["subjects"].values():
            found = periods.get(subject["id"])
            if found:
                subject["averages"] = {**found["terms"], "year": found["year"]}
        summaries.append(
            {
                "year": year,
                "class": school_class,
                "subjects": list(years[year]["subjects"].values()),
                "record": mine["students"][0] if mine["students"] else None,
                "rules": {rule["subject"]: rule for rule in mine["subjects"]},
            }
        )
    return render(
        request,
        "frontend/records_mine.html",
        {"years": summaries, "entry_labels": dict(RecordEntryType.choices), "title": _("My record")},
    )


@login_required
def records_transcript(request: HttpRequest, student_id: int) -> HttpResponse:
    """A student's transcript (closed semesters only), the copies issued, and issuing a signed
    one (the school's administrator)."""
    student = User.objects.select_related("organisation").filter(pk=student_id, role=Role.STUDENT).first()
    if student is None or not transcripts.may_read(request.user, student):
        raise Http404
    data = selectors.transcript_data(request.user, student)
    for issue in data["issues"]:
        issue["issued_at_dt"] = parse_datetime(issue["issued_at"])
    return render(
        request,
        "frontend/records_transcript.html",
        {
            "data": data,
            "student": student,
            "bank_config": {"student": student.pk},
            "bank_text": records_text(),
        },
    )


def transcript_verify(request: HttpRequest) -> HttpResponse:
    """Anyone holding a transcript checks it: issued here, unchanged, signed by its school."""
    return render(request, "frontend/records_verify.html", {"bank_config": {}, "bank_text": records_text()})


@page_for(Role.SCHOOL_ADMIN, Role.BOARD, Role.ADMIN)
def records_statistics(request: HttpRequest) -> HttpResponse:
    """Start- and end-of-year statistics of a school or a department, and the export for the
    education database (both jobs, followed on the page)."""
    scope = scope_of(request.user)
    organisations = Organisation.objects.order_by("kind", "name")
    if not scope.is_admin:
        organisations = organisations.filter(pk__in=scope.overseen)
    return render(
        request,
        "frontend/records_statistics.html",
        {
            "organisations": list(organisations[:500]),
            "default_organisation": request.user.organisation_id,
            # The levels as the records hold them (Circular 22's words) with their labels.
            "bank_config": {
                "levels": [
                    ["Tốt", _("Excellent (Tốt)")],
                    ["Khá", _("Good (Khá)")],
                    ["Đạt", _("Passed (Đạt)")],
                    ["Chưa đạt", _("Not passed (Chưa đạt)")],
                    ["incomplete", _("Not complete")],
                ]
            },
            "bank_text": records_text(),
        },
    )


def _primary_class(request: HttpRequest, school_class) -> HttpResponse:
    """A primary class's semester (Circular 27): each pupil's subject levels and test marks,
    qualities and competences, the year's result; each teacher edits what is theirs."""
    admin = scope_of(request.user).is_admin
    taught = set(
        ClassTeacher.objects.filter(school_class=school_class, teacher=request.user).values_list(
            "subject_id", flat=True
        )
    )
    homeroom = selectors.is_homeroom(request.user, school_class) or admin
    if not (taught or homeroom or selectors.oversees_school(request.user, school_class)):
        raise Http404
    term = "2" if request.GET.get("period") == "2" else "1"
    record = primary.class_record(school_class)
    if admin:
        taught = set(record["rules"])
    data = primary.class_data(record, term)
    closed = data["closed"]
    subjects = {rule["subject"]: rule for rule in data["subjects"]}
    aspects = {aspect["code"]: aspect["name"] for aspect in data["aspects"]}
    for pupil in data["students"]:
        for cell in pupil["subjects"]:
            cell["name"] = subjects[cell["subject"]]["name"]
            cell["tested"] = subjects[cell["subject"]]["mode"] == SubjectRule.Mode.SCORED
            cell["editable"] = cell["subject"] in taught and not closed
        for cell in pupil["aspects"]:
            cell["name"] = aspects[cell["code"]]
            cell["editable"] = homeroom and not closed
    return render(
        request,
        "frontend/records_primary.html",
        {
            "data": data,
            "school_class": school_class,
            "term": term,
            "subject_levels": grades.SUBJECT_LEVELS,
            "aspect_levels": grades.QUALITY_LEVELS,
            "closings": [
                {
                    "term": t,
                    "label": _("Semester %(n)s") % {"n": PERIOD_LABELS[t]},
                    "closing": {"by": selectors.person_name(closing.closed_by)} if closing else None,
                    "at": closing.closed_at if closing else None,
                }
                for t, closing in (("1", record["closings"].get(1)), ("2", record["closings"].get(2)))
            ],
            "may_close": selectors.is_homeroom(request.user, school_class)
            or selectors.oversees_school(request.user, school_class),
            "may_reopen": selectors.oversees_school(request.user, school_class),
            "events": _events(school_class),
            "bank_config": {"class": school_class.pk, "term": int(term), "scored": True},
            "bank_text": records_text(),
        },
    )
