"""REST: classes of a school year, their students and teachers, and roster imports.

- ``GET /api/classes/`` (staff: a school's administrators and the board those of the schools
  they oversee, a teacher their own), ``POST`` (a school's administrator);
- ``GET|PATCH /api/classes/<id>/``, ``POST /api/classes/<id>/students/`` (place or move one);
- ``POST /api/classes/<id>/login-cards/``: first passwords of the students who never logged in;
  ``POST /api/classes/<id>/login-cards.pdf``: the same as cards to print (``accounts.login_cards``);
- ``POST /api/people/<id>/password/``: a new password for a student or teacher, shown once;
- ``GET|PUT|DELETE /api/people/<id>/photo/``: a student's photo for check-in on exam day
  (``accounts.photos``): seen by those ``permissions.may_see_photo`` lets (404 for anyone
  else), uploaded (multipart ``file``) or removed by a school's administrator;
- ``GET /api/rosters/template/``: the workbook to fill in;
- ``POST /api/rosters/preview/`` and ``POST /api/rosters/``: a roster file (multipart
  ``file``, ``organisation``, ``school_year``), previewed (its problems and what it would
  change) or imported: every row or none. A school's administrator imports everything; a
  homeroom teacher the students of their own classes (``permissions.roster_import_scope``).

Nothing of a roster file is kept on the server: the preview reads it and forgets it, and the
import reads the file sent again.
"""

from __future__ import annotations

import hashlib

from django.http import FileResponse, HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ErrorSerializer, error_body
from config.ids import IdField
from jobs.api import JobOutput, job_data
from jobs.services import job_start

from . import login_cards, photos, roster, selectors, services
from .api import UserOutput, user_data
from .jobs import roster_report
from .models import SchoolClass, User, validate_school_year
from .permissions import IsClassReader, IsRosterImporter, IsSchoolAdmin, require_school_admin, roster_import_scope

MAX_ROSTER_BYTES = roster.MAX_FILE_BYTES


def class_data(school_class: SchoolClass) -> dict:
    homeroom = school_class.homeroom_teacher
    return {
        "id": school_class.pk,
        "school": school_class.school_id,
        "school_name": school_class.school.name,
        "school_year": school_class.school_year,
        "name": school_class.name,
        "grade": school_class.grade,
        "homeroom_teacher": (
            None if homeroom is None else {"id": homeroom.pk, "name": homeroom.get_full_name() or homeroom.username}
        ),
        "student_count": getattr(school_class, "student_count", None),
    }


def person_data(user: User) -> dict:
    """The user object of ``GET /api/me/`` and what a school's administrator also sees."""
    return {
        **user_data(user),
        "staff_id": user.staff_id,
        "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else None,
        "gender": user.gender,
        "citizen_id": user.citizen_id,
        "has_photo": bool(user.photo),
        "has_logged_in": user.last_login is not None,
    }


# --- what the calls answer (the dicts above, described for the API's schema) ------------------


class TeacherRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ClassOutput(serializers.Serializer):
    """:func:`class_data`."""

    id = serializers.IntegerField()
    school = serializers.IntegerField()
    school_name = serializers.CharField()
    school_year = serializers.CharField()
    name = serializers.CharField()
    grade = serializers.IntegerField()
    homeroom_teacher = TeacherRefOutput(allow_null=True)
    student_count = serializers.IntegerField(allow_null=True)


class ClassesOutput(serializers.Serializer):
    results = ClassOutput(many=True)


class PersonOutput(UserOutput):
    """:func:`person_data`."""

    staff_id = serializers.CharField(allow_null=True)
    date_of_birth = serializers.DateField(allow_null=True)
    gender = serializers.CharField(allow_blank=True)
    citizen_id = serializers.CharField(allow_blank=True, help_text="Số CCCD: 12 digits, or empty.")
    has_photo = serializers.BooleanField(help_text="Whether GET /api/people/<id>/photo/ has one to show.")
    has_logged_in = serializers.BooleanField()


class SubjectTeacherOutput(serializers.Serializer):
    teacher = PersonOutput()
    subject = serializers.CharField()
    subject_name = serializers.CharField()


class ClassDetailOutput(ClassOutput):
    students = PersonOutput(many=True)
    subject_teachers = SubjectTeacherOutput(many=True)


PlacedOutput = inline_serializer(
    "PlacedOutput",
    {
        "class": serializers.IntegerField(),
        "student": serializers.IntegerField(),
        "joined_at": serializers.DateTimeField(),
    },
)


class PasswordIssuedOutput(serializers.Serializer):
    user = PersonOutput()
    password = serializers.CharField(help_text="Shown once; to be changed at the first login.")


class LoginCardsOutput(serializers.Serializer):
    results = PasswordIssuedOutput(many=True)


class RosterProblemOutput(serializers.Serializer):
    sheet = serializers.CharField()
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class RosterReportOutput(serializers.Serializer):
    """``accounts.jobs.roster_report``."""

    ok = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
    problems = RosterProblemOutput(many=True)


class JobStartedOutput(serializers.Serializer):
    job = JobOutput()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- what the calls read ------------------------------------------------------------------------


class ClassListParams(serializers.Serializer):
    school_year = serializers.CharField(required=False, validators=[validate_school_year])
    school = IdField(required=False)


class ClassCreateSerializer(serializers.Serializer):
    school = IdField()
    school_year = serializers.CharField(validators=[validate_school_year])
    name = serializers.CharField(max_length=30)
    grade = serializers.IntegerField(min_value=1, max_value=12)
    homeroom_teacher = IdField(required=False, allow_null=True)


class ClassUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=30, required=False)
    grade = serializers.IntegerField(min_value=1, max_value=12, required=False)
    homeroom_teacher = IdField(required=False, allow_null=True)


class PlaceSerializer(serializers.Serializer):
    student = IdField()


class PhotoUploadSerializer(serializers.Serializer):
    # Empty files pass here: accounts.photos refuses them with its own message.
    file = serializers.FileField(
        allow_empty_file=True, help_text=gettext_lazy("A JPEG, PNG or WebP image of at most 5 MB.")
    )


class RosterSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file."))
    organisation = IdField()
    school_year = serializers.CharField(validators=[validate_school_year])


@extend_schema(
    methods=["GET"], parameters=[ClassListParams], responses={200: ClassesOutput}, operation_id="classes_list"
)
@extend_schema(methods=["POST"], request=ClassCreateSerializer, responses={201: ClassOutput})
@api_view(["GET", "POST"])
@permission_classes([IsClassReader])
@parser_classes([JSONParser])
def classes(request: Request) -> Response:
    if request.method == "POST":
        require_school_admin(request.user)  # 403 before the body is read
        body = ClassCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        created = services.class_create(
            by=request.user,
            school_id=data["school"],
            school_year=data["school_year"],
            name=data["name"],
            grade=data["grade"],
            homeroom_teacher_id=data.get("homeroom_teacher"),
        )
        return Response(class_data(created), status=status.HTTP_201_CREATED)
    params = ClassListParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    found = selectors.classes_for(
        request.user,
        school_year=params.validated_data.get("school_year"),
        school_id=params.validated_data.get("school"),
    )
    return Response({"results": [class_data(c) for c in found]})


@extend_schema(methods=["GET"], responses={200: ClassDetailOutput})
@extend_schema(methods=["PATCH"], request=ClassUpdateSerializer, responses={200: ClassDetailOutput})
@api_view(["GET", "PATCH"])
@permission_classes([IsClassReader])
@parser_classes([JSONParser])
def class_detail(request: Request, class_id: int) -> Response:
    school_class = selectors.classes_for(request.user).get(pk=class_id)  # 404 outside the scope
    if request.method == "PATCH":
        require_school_admin(request.user)  # 403 before the body is read
        body = ClassUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.class_update(by=request.user, class_id=school_class.pk, changes=dict(body.validated_data))
        school_class = selectors.classes_for(request.user).get(pk=class_id)
    teachers = school_class.subject_teachers.select_related("teacher", "subject").order_by("subject__name")
    return Response(
        {
            **class_data(school_class),
            "students": [person_data(s) for s in selectors.class_students(school_class)],
            "subject_teachers": [
                {"teacher": person_data(t.teacher), "subject": t.subject.code, "subject_name": t.subject.name}
                for t in teachers
            ],
        }
    )


@extend_schema(request=PlaceSerializer, responses={200: PlacedOutput})
@api_view(["POST"])
@permission_classes([IsSchoolAdmin])
@parser_classes([JSONParser])
def class_place(request: Request, class_id: int) -> Response:
    body = PlaceSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    membership = services.class_place_student(
        by=request.user, class_id=class_id, student_id=body.validated_data["student"]
    )
    return Response(
        {
            "class": membership.school_class_id,
            "student": membership.student_id,
            "joined_at": membership.joined_at.isoformat(),
        }
    )


@extend_schema(request=None, responses={200: PasswordIssuedOutput})
@api_view(["POST"])
@permission_classes([IsSchoolAdmin])
def person_password_reset(request: Request, user_id: int) -> Response:
    """A new password for a student or teacher, shown once, to be changed at their next login."""
    password = services.password_reset(by=request.user, user_id=user_id, address=request.META.get("REMOTE_ADDR", ""))
    person = User.objects.get(pk=user_id)
    response = Response({"user": person_data(person), "password": password})
    response["Cache-Control"] = "no-store"
    return response


def _photo_etag(person: User) -> str:
    """The photo's ETag: its file's name, new with every upload."""
    return f'"{hashlib.sha256(person.photo.name.encode()).hexdigest()[:20]}"'


@extend_schema(
    methods=["GET"],
    responses={
        (200, "image/jpeg"): OpenApiTypes.BINARY,
        304: OpenApiResponse(description="Not modified: If-None-Match named the photo's ETag."),
    },
    operation_id="people_photo_retrieve",
    description=(
        "The student's photo for check-in, a JPEG (Cache-Control: private, no-cache; an ETag). "
        "404 when there is none, or for anyone who may not see it: the school's administrators "
        "and exam board of the student's organisation, and the proctors of a room where the "
        "student sits an exam, see it; nobody else (students neither)."
    ),
)
@extend_schema(
    methods=["PUT"],
    request={"multipart/form-data": PhotoUploadSerializer},
    responses={200: PersonOutput},
    operation_id="people_photo_update",
    description=(
        "A new photo for a student (multipart/form-data, field file: a JPEG, PNG or WebP image of "
        "at most 5 MB), replacing theirs; kept re-encoded as a JPEG of at most 600 px, upright, "
        "without metadata. A school's administrator of the student's organisation. Answers with "
        "the person."
    ),
)
@extend_schema(
    methods=["DELETE"],
    request=None,
    responses={204: None},
    operation_id="people_photo_destroy",
    description="Remove a student's photo (none: nothing happens). A school's administrator of their organisation.",
)
@api_view(["GET", "PUT", "DELETE"])
@parser_classes([MultiPartParser])
def person_photo(request: Request, user_id: int) -> HttpResponse:
    """A student's photo for check-in (``accounts.photos``): seen, replaced or removed."""
    if request.method == "GET":
        person, handle = photos.photo_of(viewer=request.user, user_id=user_id)
        etag = _photo_etag(person)
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            handle.close()
            response: HttpResponse = HttpResponseNotModified()
        else:
            response = FileResponse(handle, content_type="image/jpeg")
            response["Content-Disposition"] = f'inline; filename="{person.pk}.jpg"'
            response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"  # revalidated: a replaced photo shows at once
        response["X-Content-Type-Options"] = "nosniff"
        return response
    require_school_admin(request.user)  # 403 before the body is read
    if request.method == "DELETE":
        photos.photo_delete(by=request.user, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
    body = PhotoUploadSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    upload = body.validated_data["file"]
    photos.photo_check_size(upload.size)  # before the upload is read into memory
    photos.photo_store(by=request.user, user_id=user_id, data=upload.read())
    return Response(person_data(User.objects.get(pk=user_id)))


@extend_schema(request=None, responses={200: LoginCardsOutput})
@api_view(["POST"])
@permission_classes([IsSchoolAdmin])
def class_login_cards(request: Request, class_id: int) -> Response:
    """First passwords for the class's students who have never logged in, shown once."""
    issued = services.class_first_passwords(
        by=request.user, class_id=class_id, address=request.META.get("REMOTE_ADDR", "")
    )
    response = Response({"results": [{"user": person_data(user), "password": password} for user, password in issued]})
    response["Cache-Control"] = "no-store"
    return response


@extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
@api_view(["POST"])
@permission_classes([IsSchoolAdmin])
def class_login_cards_pdf(request: Request, class_id: int) -> HttpResponse:
    """The same first passwords as login cards to print and cut (A4 PDF), shown once."""
    issued = services.class_first_passwords(
        by=request.user, class_id=class_id, address=request.META.get("REMOTE_ADDR", "")
    )
    school_class = SchoolClass.objects.select_related("school").get(pk=class_id)
    return login_cards.login_cards_response(school_class, issued, request.build_absolute_uri(reverse("login")))


@extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
@api_view(["GET"])
@permission_classes([IsRosterImporter])
def roster_template(request: Request) -> HttpResponse:
    response = HttpResponse(
        roster.template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="danh-sach-lop-mau.xlsx"'
    return response


def _roster_request(request: Request) -> tuple[dict, bytes] | Response:
    body = RosterSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    upload = data["file"]
    if upload.size > MAX_ROSTER_BYTES:
        return Response(
            error_body("too_large", _("The file is larger than %(mb)d MB.") % {"mb": MAX_ROSTER_BYTES // 2**20}),
            status=413,
        )
    return data, upload.read()


@extend_schema(request=RosterSerializer, responses={200: RosterReportOutput, 413: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsRosterImporter])
@parser_classes([MultiPartParser])
def roster_preview(request: Request) -> Response:
    """What importing the file would change, and every problem in it; nothing is written."""
    parsed = _roster_request(request)
    if isinstance(parsed, Response):
        return parsed
    data, raw = parsed
    plan = services.roster_plan(
        by=request.user,
        organisation_id=data["organisation"],
        school_year=data["school_year"],
        data=raw,
        filename=data["file"].name,
    )
    return Response(roster_report(plan))


@extend_schema(
    request=RosterSerializer,
    responses={
        202: OpenApiResponse(JobStartedOutput, description="The job's result: the report and the import's id."),
        413: ErrorSerializer,
    },
)
@api_view(["POST"])
@permission_classes([IsRosterImporter])
@parser_classes([MultiPartParser])
def roster_import(request: Request) -> Response:
    """Import every row of the file, or none, as a job (``GET /api/jobs/<id>/`` follows it):
    its result is the import's report, or its error ``roster_problems`` with the report."""
    parsed = _roster_request(request)
    if isinstance(parsed, Response):
        return parsed
    data, raw = parsed
    # Who may is asked now, not only in the job: another organisation does not exist (404).
    roster_import_scope(request.user, organisation_id=data["organisation"], school_year=data["school_year"])
    job = job_start(
        by=request.user,
        kind="roster_import",
        params={
            "organisation": data["organisation"],
            "school_year": data["school_year"],
            "filename": data["file"].name,
        },
        payload=raw,
    )
    job.refresh_from_db()  # the embedded default ran it already
    return Response({"job": job_data(job)}, status=status.HTTP_202_ACCEPTED)
