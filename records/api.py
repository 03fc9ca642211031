"""The records' REST API (Circular 22): a class's records, a subject's gradebook, entries a
teacher enters and corrects, comments, closing a semester, the subjects' rules. Thin: the
rules live in ``records.services`` and ``records.selectors``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organisation, Role, SchoolClass, User, validate_school_year
from accounts.permissions import scope_of
from assess.authoring_api import _valid
from assess.models import RecordEntry, RecordEntryType
from config.ids import IdField
from jobs.api import JobOutput, job_data
from jobs.services import job_start
from printing import tables

from . import exports, jobs, primary, selectors, services, transcripts
from .models import RecordEvent, SubjectRule, TranscriptIssue

MAX_VERIFY_BYTES = 10 * 1024 * 1024


class RecordsClassRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    grade = serializers.IntegerField()
    school_year = serializers.CharField()
    school = serializers.CharField()
    homeroom = serializers.BooleanField(help_text="The person asking is its homeroom teacher.")
    subjects = serializers.ListField(child=serializers.IntegerField(), help_text="The subjects they teach in it.")


class RecordsClassesOutput(serializers.Serializer):
    results = RecordsClassRefOutput(many=True)


class RecordsClassesParams(serializers.Serializer):
    school_year = serializers.CharField(max_length=9, required=False, allow_blank=True)


class RecordsRuleOutput(serializers.Serializer):
    subject = serializers.IntegerField()
    name = serializers.CharField()
    mode = serializers.ChoiceField(choices=SubjectRule.Mode.choices)
    periods = serializers.IntegerField()
    continuous = serializers.IntegerField(help_text="Continuous assessments a semester.")
    source = serializers.ChoiceField(choices=["school", "department", "default"])


class RecordsPeriodOutput(serializers.Serializer):
    average = serializers.CharField(allow_null=True, help_text="Scored subjects, once complete: one decimal.")
    result = serializers.CharField(allow_null=True, help_text="Comment subjects: Đạt or Chưa đạt, once known.")
    missing = serializers.IntegerField(required=False)


class RecordsSubjectPeriodsOutput(serializers.Serializer):
    subject = serializers.IntegerField()
    terms = serializers.DictField(child=RecordsPeriodOutput(), help_text='"1" and "2".')
    year = RecordsPeriodOutput()


class RecordsLevelsOutput(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            name: serializers.CharField(allow_null=True, help_text="Tốt, Khá, Đạt, Chưa đạt; null while incomplete.")
            for name in ("1", "2", "year")
        }


class RecordsStudentRecordOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    subjects = RecordsSubjectPeriodsOutput(many=True)
    levels = RecordsLevelsOutput()
    retakes = serializers.ListField(
        child=serializers.IntegerField(), help_text="Subjects to retake (the year Chưa đạt)."
    )


class RecordsClosedOutput(serializers.Serializer):
    by = serializers.CharField()
    at = serializers.CharField()


class RecordsClassInfoOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    grade = serializers.IntegerField()
    school_year = serializers.CharField()
    school = serializers.CharField()
    homeroom_teacher = serializers.CharField(allow_null=True)


class RecordsClassRecordOutput(serializers.Serializer):
    """``records.selectors.class_data``."""

    def get_fields(self) -> dict[str, serializers.Field]:  # "class" is a Python keyword
        return {"class": RecordsClassInfoOutput(), **super().get_fields()}

    subjects = RecordsRuleOutput(many=True)
    closed = serializers.DictField(child=RecordsClosedOutput(), help_text='The closed semesters: "1", "2".')
    students = RecordsStudentRecordOutput(many=True)


class RecordsCellOutput(serializers.Serializer):
    id = serializers.IntegerField()
    value = serializers.CharField(help_text='"7.5" or "Đạt".')
    source = serializers.ChoiceField(choices=RecordEntry.Source.choices)
    counted = serializers.BooleanField(help_text="False: a test's result awaiting publication.")
    note = serializers.CharField()


class RecordsGradebookRowOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    continuous = RecordsCellOutput(many=True)
    midterm = RecordsCellOutput(many=True)
    endterm = RecordsCellOutput(many=True)
    average = serializers.CharField(allow_null=True)
    result = serializers.CharField(allow_null=True)
    missing = serializers.IntegerField()
    comment = serializers.CharField()


class RecordsGradebookClassOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    school_year = serializers.CharField()


class RecordsGradebookOutput(serializers.Serializer):
    """``records.selectors.gradebook_data``."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"class": RecordsGradebookClassOutput(), **super().get_fields()}

    subject = RecordsRuleOutput()
    term = serializers.IntegerField()
    closed = serializers.BooleanField()
    students = RecordsGradebookRowOutput(many=True)


class RecordsTermParams(serializers.Serializer):
    term = serializers.ChoiceField(choices=[1, 2], default=1)


class RecordsEntryInput(serializers.Serializer):
    student = IdField()
    term = serializers.ChoiceField(choices=[1, 2])
    entry_type = serializers.ChoiceField(choices=RecordEntryType.choices)
    score = serializers.CharField(max_length=10, required=False, allow_null=True, default=None)
    comment = serializers.ChoiceField(
        choices=RecordEntry.Comment.choices, required=False, allow_null=True, default=None
    )
    note = serializers.CharField(max_length=services.MAX_NOTE, required=False, allow_blank=True, default="")


class RecordsCorrectionInput(serializers.Serializer):
    score = serializers.CharField(max_length=10, required=False, allow_null=True, default=None)
    comment = serializers.ChoiceField(
        choices=RecordEntry.Comment.choices, required=False, allow_null=True, default=None
    )
    reason = serializers.CharField(max_length=services.MAX_REASON)


class RecordsReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=services.MAX_REASON)


class RecordsEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    student = serializers.IntegerField(source="student_id")
    subject = serializers.IntegerField(source="subject_id")
    school_year = serializers.CharField()
    term = serializers.IntegerField()
    entry_type = serializers.ChoiceField(choices=RecordEntryType.choices)
    score = serializers.CharField(allow_null=True)
    comment_result = serializers.CharField()
    source = serializers.ChoiceField(choices=RecordEntry.Source.choices)
    note = serializers.CharField()


class RecordsCommentInput(serializers.Serializer):
    student = IdField()
    term = serializers.ChoiceField(choices=[1, 2])
    subject = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Empty: the homeroom teacher's overall comment.",
    )
    text = serializers.CharField(max_length=services.MAX_COMMENT, allow_blank=True)


class RecordsCommentOutput(serializers.Serializer):
    student = serializers.IntegerField()
    term = serializers.IntegerField()
    subject = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()


class RecordsCloseInput(serializers.Serializer):
    term = serializers.ChoiceField(choices=[1, 2])


class RecordsReopenInput(RecordsCloseInput):
    reason = serializers.CharField(max_length=services.MAX_REASON)


class RecordsEventOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RecordEvent.Kind.choices)
    student = serializers.CharField(allow_null=True)
    subject = serializers.CharField(allow_null=True)
    term = serializers.IntegerField()
    entry_type = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()
    reason = serializers.CharField()
    by = serializers.CharField()
    at = serializers.CharField()


class RecordsEventsOutput(serializers.Serializer):
    results = RecordsEventOutput(many=True)


class RecordsRuleInput(serializers.Serializer):
    organisation = IdField()
    school_year = serializers.CharField(max_length=9)
    grade = serializers.IntegerField(min_value=1, max_value=12)
    subject = IdField()
    mode = serializers.ChoiceField(choices=SubjectRule.Mode.choices)
    periods = serializers.IntegerField(min_value=1, max_value=400)


class RecordsRuleSetOutput(serializers.Serializer):
    organisation = serializers.IntegerField(source="organisation_id")
    school_year = serializers.CharField()
    grade = serializers.IntegerField()
    subject = serializers.IntegerField(source="subject_id")
    mode = serializers.ChoiceField(choices=SubjectRule.Mode.choices)
    periods = serializers.IntegerField()


class RecordsRulesOutput(serializers.Serializer):
    results = RecordsRuleSetOutput(many=True)


class RecordsRulesParams(serializers.Serializer):
    organisation = IdField()
    school_year = serializers.CharField(max_length=9)


# --- views ----------------------------------------------------------------------------------------


def _refuse_primary(school_class: SchoolClass) -> None:
    if primary.is_primary(school_class):
        raise ValidationError(
            {
                "class": [
                    _(
                        "This class follows Circular 27 (primary school): read it at /api/records/classes/%(id)s/primary/."
                    )
                    % {"id": school_class.pk}
                ]
            }
        )


def _class(request: Request, class_id: int) -> SchoolClass:
    """A class the person keeps or reads records of (404 otherwise)."""
    return selectors.classes_of(request.user).get(pk=class_id)


@extend_schema(
    parameters=[RecordsClassesParams], responses={200: RecordsClassesOutput}, operation_id="records_classes_list"
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def class_list(request: Request) -> Response:
    """The classes whose records the person keeps (homeroom, subjects taught) or reads."""
    params = _valid(RecordsClassesParams, request.query_params)
    classes = selectors.classes_of(request.user, params.get("school_year") or None)
    return Response({"results": selectors.classes_data(request.user, classes)})


@extend_schema(responses={200: RecordsClassRecordOutput})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def class_record(request: Request, class_id: int) -> Response:
    """Every student's averages (or comment results) by subject, semester and year, the levels
    and the retakes (the homeroom teacher, the school's administrator, the board)."""
    school_class = _class(request, class_id)
    services.refuse_unless_reader(request.user, school_class)
    _refuse_primary(school_class)
    return Response(selectors.class_data(selectors.class_record(school_class)))


@extend_schema(parameters=[RecordsTermParams], responses={200: RecordsGradebookOutput})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def gradebook(request: Request, class_id: int, subject_id: int) -> Response:
    """One subject of a class in one semester: every student's entries, average, comment."""
    school_class = _class(request, class_id)
    services.refuse_unless_reader(request.user, school_class, subject_id)
    term = _valid(RecordsTermParams, request.query_params)["term"]
    _refuse_primary(school_class)
    record = selectors.class_record(school_class)
    if subject_id not in record["rules"]:
        raise PermissionDenied(_("This subject is not taught in this class."))
    return Response(selectors.gradebook_data(record, subject_id, int(term)))


@extend_schema(request=RecordsEntryInput, responses={201: RecordsEntryOutput})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def entry_create(request: Request, class_id: int, subject_id: int) -> Response:
    """Enter an assessment not taken on the computer (the subject's teacher)."""
    school_class = _class(request, class_id)
    data = _valid(RecordsEntryInput, request.data)
    entry = services.entry_enter(
        by=request.user,
        class_id=school_class.pk,
        subject_id=subject_id,
        student_id=data["student"],
        term=int(data["term"]),
        entry_type=data["entry_type"],
        score=data["score"],
        comment=data["comment"],
        note=data["note"],
    )
    return Response(RecordsEntryOutput(entry).data, status=status.HTTP_201_CREATED)


def _entry_of(request: Request, entry_id: int) -> RecordEntry:
    """An entry of a class the person keeps or reads (404 otherwise)."""
    entry = RecordEntry.objects.get(pk=entry_id)
    school_class = services.class_of(entry.student_id, entry.school_year)
    _class(request, school_class.pk)
    return entry


@extend_schema(request=RecordsCorrectionInput, responses={200: RecordsEntryOutput})
@api_view(["PATCH"])
@permission_classes([IsAuthenticated])
def entry_correct(request: Request, entry_id: int) -> Response:
    """Correct a teacher's entry, with the reason (kept)."""
    entry = _entry_of(request, entry_id)
    data = _valid(RecordsCorrectionInput, request.data)
    entry = services.entry_correct(
        by=request.user, entry_id=entry.pk, reason=data["reason"], score=data["score"], comment=data["comment"]
    )
    return Response(RecordsEntryOutput(entry).data)


@extend_schema(request=RecordsReasonInput, responses={204: None})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def entry_remove(request: Request, entry_id: int) -> Response:
    """Remove a teacher's entry made by mistake, with the reason (kept)."""
    entry = _entry_of(request, entry_id)
    services.entry_remove(by=request.user, entry_id=entry.pk, reason=_valid(RecordsReasonInput, request.data)["reason"])
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(request=RecordsCommentInput, responses={200: RecordsCommentOutput})
@api_view(["PUT"])
@permission_classes([IsAuthenticated])
def comment_put(request: Request, class_id: int) -> Response:
    """A subject teacher's comment on a subject, or the homeroom teacher's overall comment;
    an empty text removes it."""
    school_class = _class(request, class_id)
    data = _valid(RecordsCommentInput, request.data)
    services.comment_set(
        by=request.user,
        class_id=school_class.pk,
        student_id=data["student"],
        term=int(data["term"]),
        subject_id=data["subject"],
        text=data["text"],
    )
    return Response(
        {
            "student": data["student"],
            "term": int(data["term"]),
            "subject": data["subject"],
            "text": data["text"].strip(),
        }
    )


@extend_schema(request=RecordsCloseInput, responses={200: RecordsClassRecordOutput})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def semester_close(request: Request, class_id: int) -> Response:
    """The homeroom teacher closes a semester (refused while assessments are missing)."""
    school_class = _class(request, class_id)
    term = int(_valid(RecordsCloseInput, request.data)["term"])
    services.semester_close(by=request.user, class_id=school_class.pk, term=term)
    return Response(selectors.class_data(selectors.class_record(school_class)))


@extend_schema(request=RecordsReopenInput, responses={200: RecordsClassRecordOutput})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def semester_reopen(request: Request, class_id: int) -> Response:
    """The school's administrator reopens a closed semester, with the reason (kept)."""
    school_class = _class(request, class_id)
    data = _valid(RecordsReopenInput, request.data)
    services.semester_reopen(by=request.user, class_id=school_class.pk, term=int(data["term"]), reason=data["reason"])
    return Response(selectors.class_data(selectors.class_record(school_class)))


@extend_schema(responses={200: RecordsEventsOutput})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def class_events(request: Request, class_id: int) -> Response:
    """Every change of the class's records: entries, corrections, removals, closings."""
    school_class = _class(request, class_id)
    services.refuse_unless_reader(request.user, school_class)
    return Response({"results": selectors.events_data(school_class)})


@extend_schema(
    methods=["GET"],
    parameters=[RecordsRulesParams],
    responses={200: RecordsRulesOutput},
    operation_id="records_rules_list",
)
@extend_schema(methods=["PUT"], request=RecordsRuleInput, responses={200: RecordsRuleSetOutput})
@api_view(["GET", "PUT"])
@permission_classes([IsAuthenticated])
def rules(request: Request) -> Response:
    """How each subject is assessed in each grade of an organisation and school year."""
    if request.method == "PUT":
        data = _valid(RecordsRuleInput, request.data)
        rule = services.subject_rule_set(
            by=request.user,
            organisation_id=data["organisation"],
            school_year=data["school_year"],
            grade=data["grade"],
            subject_id=data["subject"],
            mode=data["mode"],
            periods=data["periods"],
        )
        return Response(RecordsRuleSetOutput(rule).data)
    params = _valid(RecordsRulesParams, request.query_params)
    found = selectors.rules_of(request.user, params["organisation"], params["school_year"])
    return Response({"results": RecordsRuleSetOutput(found, many=True).data})


# --- transcripts -----------------------------------------------------------------------------------


class RecordsTranscriptSubjectOutput(serializers.Serializer):
    name = serializers.CharField()
    first = serializers.CharField(help_text='As printed: "8,3", "Đạt"; empty while the semester is open.')
    second = serializers.CharField()
    year = serializers.CharField()
    comment = serializers.CharField()


class RecordsTranscriptYearOutput(serializers.Serializer):
    school_year = serializers.CharField()
    grade = serializers.IntegerField()
    class_name = serializers.CharField()
    school = serializers.CharField()
    subjects = RecordsTranscriptSubjectOutput(many=True)
    level_first = serializers.CharField()
    level_second = serializers.CharField()
    level_year = serializers.CharField()
    retakes = serializers.ListField(child=serializers.CharField())
    homeroom_comment = serializers.CharField()
    homeroom_teacher = serializers.CharField()
    closed = serializers.ListField(child=serializers.CharField(), help_text='The closed semesters: "1", "2".')


class RecordsIssueOutput(serializers.Serializer):
    serial = serializers.CharField()
    years = serializers.ListField(child=serializers.CharField())
    issued_at = serializers.CharField()
    issued_by = serializers.CharField()
    sha256 = serializers.CharField()
    fingerprint = serializers.CharField(help_text="SHA-256 of the school's certificate that signed it.")
    download = serializers.CharField()


class RecordsTranscriptOutput(serializers.Serializer):
    student = serializers.IntegerField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    years = RecordsTranscriptYearOutput(many=True)
    issues = RecordsIssueOutput(many=True)
    may_issue = serializers.BooleanField()


class RecordsVerifyInput(serializers.Serializer):
    file = serializers.FileField(help_text="The PDF to check (at most 10 MB).")


class RecordsVerifyOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    problem = serializers.CharField()
    serial = serializers.CharField(required=False)
    student = serializers.CharField(required=False)
    learner_id = serializers.CharField(required=False, allow_null=True)
    school = serializers.CharField(required=False)
    issued_at = serializers.CharField(required=False)
    fingerprint = serializers.CharField(required=False)


def _student(request: Request, student_id: int) -> User:
    """A student whose transcript the person may read (404 otherwise)."""
    student = User.objects.select_related("organisation").filter(pk=student_id, role=Role.STUDENT).first()
    if student is None or not transcripts.may_read(request.user, student):
        raise Http404
    return student


@extend_schema(responses={200: RecordsTranscriptOutput})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def transcript(request: Request, student_id: int) -> Response:
    """A student's transcript (closed semesters only) and the copies issued."""
    return Response(selectors.transcript_data(request.user, _student(request, student_id)))


@extend_schema(request=None, responses={201: RecordsIssueOutput})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def transcript_issue(request: Request, student_id: int) -> Response:
    """Issue a copy signed by the school (the school's administrator); logged."""
    student = _student(request, student_id)
    issue = transcripts.transcript_issue(by=request.user, student_id=student.pk)
    return Response(selectors.issue_data(issue), status=status.HTTP_201_CREATED)


@extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def transcript_pdf(request: Request, serial: str) -> HttpResponse:
    """An issued copy, byte for byte as signed."""
    issue = TranscriptIssue.objects.select_related("student").filter(serial=serial).first()
    if issue is None or not transcripts.may_read(request.user, issue.student):
        raise Http404
    response = HttpResponse(bytes(issue.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{issue.serial}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@extend_schema(request={"multipart/form-data": RecordsVerifyInput}, responses={200: RecordsVerifyOutput})
@api_view(["POST"])
@permission_classes([AllowAny])
@parser_classes([MultiPartParser])
def transcript_verify(request: Request) -> Response:
    """Check a transcript someone holds: issued here, unchanged, signed by its school (anyone)."""
    upload = _valid(RecordsVerifyInput, request.data)["file"]
    if upload.size > MAX_VERIFY_BYTES:
        raise ValidationError({"file": [_("The file is larger than 10 MB: a transcript is far smaller.")]})
    return Response(transcripts.transcript_verify(upload.read()))


# --- reports and exports -------------------------------------------------------------------------------


class RecordsExportParams(serializers.Serializer):
    # not "format": DRF reads that parameter to choose a renderer
    output = serializers.ChoiceField(choices=["xlsx", "csv"], default="xlsx")
    period = serializers.ChoiceField(choices=list(selectors.PERIODS), default="1")


class RecordsReportInput(serializers.Serializer):
    organisation = IdField()
    school_year = serializers.CharField(max_length=9)


class RecordsReportJobOutput(serializers.Serializer):
    job = JobOutput(help_text="Follow it at GET /api/jobs/<id>/; its result holds the file to download.")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@extend_schema(
    parameters=[RecordsExportParams],
    responses={(200, XLSX): OpenApiTypes.BINARY, (200, "text/csv"): OpenApiTypes.BINARY},
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def class_export(request: Request, class_id: int) -> HttpResponse:
    """A class's record in one period as a workbook or CSV (who reads the class's record)."""
    school_class = _class(request, class_id)
    services.refuse_unless_reader(request.user, school_class)
    params = _valid(RecordsExportParams, request.query_params)
    header, rows = exports.class_rows(selectors.class_data(selectors.class_record(school_class)), params["period"])
    name = f"so-diem-{school_class.name}-{school_class.school_year}-{params['period']}"
    if params["output"] == "csv":
        response = HttpResponse(tables.csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = HttpResponse(tables.xlsx_bytes([(school_class.name, header, rows)]), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _report(request: Request, kind: str) -> Response:
    data = _valid(RecordsReportInput, request.data)
    try:
        validate_school_year(data["school_year"])
    except ValidationError as error:
        raise ValidationError({"school_year": error.messages}) from None
    organisation = Organisation.objects.filter(pk=data["organisation"]).first()
    if organisation is None or not scope_of(request.user).oversees(organisation.pk):
        raise Http404
    jobs.require_reporter(request.user, organisation)
    job = job_start(
        by=request.user, kind=kind, params={"organisation": organisation.pk, "school_year": data["school_year"]}
    )
    return Response({"job": job_data(job)}, status=status.HTTP_202_ACCEPTED)


@extend_schema(request=RecordsReportInput, responses={202: RecordsReportJobOutput})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def statistics(request: Request) -> Response:
    """Start- and end-of-year statistics of a school or a department (a job: its result holds
    the figures and a workbook)."""
    return _report(request, "records_statistics")


@extend_schema(request=RecordsReportInput, responses={202: RecordsReportJobOutput})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def education_export(request: Request) -> Response:
    """The export for the education database: a ZIP of CSV files (docs/records-export.md), a job."""
    return _report(request, "education_export")


# --- primary school (Circular 27) ----------------------------------------------------------------


class RecordsPrimarySubjectOutput(serializers.Serializer):
    subject = serializers.IntegerField()
    level = serializers.CharField(allow_null=True, help_text="Hoàn thành tốt, Hoàn thành, Chưa hoàn thành.")
    midterm = serializers.IntegerField(allow_null=True)
    endterm = serializers.IntegerField(allow_null=True)


class RecordsPrimaryAspectOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=primary.ASPECT_CODES)
    level = serializers.CharField(allow_null=True, help_text="Tốt, Đạt, Cần cố gắng.")


class RecordsAspectOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=primary.ASPECT_CODES)
    name = serializers.CharField()


class RecordsPupilOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    subjects = RecordsPrimarySubjectOutput(many=True)
    aspects = RecordsPrimaryAspectOutput(many=True)
    missing = serializers.IntegerField(help_text="Levels and marks this semester still lacks.")
    year_level = serializers.CharField(allow_null=True, help_text="Once semester II is complete.")


class RecordsPrimaryOutput(serializers.Serializer):
    """``records.primary.class_data``."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"class": RecordsClassInfoOutput(), **super().get_fields()}

    policy = serializers.CharField()
    term = serializers.IntegerField()
    closed = serializers.BooleanField()
    subjects = RecordsRuleOutput(many=True)
    aspects = RecordsAspectOutput(many=True)
    students = RecordsPupilOutput(many=True)


class RecordsLevelInput(serializers.Serializer):
    student = IdField()
    term = serializers.ChoiceField(choices=[1, 2])
    subject = IdField(required=False, allow_null=True, default=None)
    aspect = serializers.ChoiceField(choices=primary.ASPECT_CODES, required=False, allow_null=True, default=None)
    level = serializers.CharField(max_length=30, allow_blank=True, help_text="Empty: removes it.")


@extend_schema(parameters=[RecordsTermParams], responses={200: RecordsPrimaryOutput})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def primary_record(request: Request, class_id: int) -> Response:
    """A primary class's semester (Circular 27): levels, marks, qualities and competences."""
    school_class = _class(request, class_id)
    if not primary.is_primary(school_class):
        raise ValidationError({"class": [_("This class follows Circular 22: read its record instead.")]})
    term = str(_valid(RecordsTermParams, request.query_params)["term"])
    return Response(primary.class_data(primary.class_record(school_class), term))


@extend_schema(request=RecordsLevelInput, responses={204: None})
@api_view(["PUT"])
@permission_classes([IsAuthenticated])
def level_put(request: Request, class_id: int) -> Response:
    """A subject's level (its teacher) or a quality's or competence's (the homeroom teacher)."""
    school_class = _class(request, class_id)
    data = _valid(RecordsLevelInput, request.data)
    services.level_set(
        by=request.user,
        class_id=school_class.pk,
        student_id=data["student"],
        term=int(data["term"]),
        level=data["level"],
        subject_id=data["subject"],
        aspect=data["aspect"],
    )
    return Response(status=status.HTTP_204_NO_CONTENT)
