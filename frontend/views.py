"""Pages for the four audiences. No business logic: selectors and services do the work."""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import login_cards
from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.forms import AuthenticationForm, PasswordChangeForm
from accounts.models import AccountEvent, Role, User, validate_school_year
from accounts.permissions import (
    ASSESSORS,
    AUTHORS,
    BOARD,
    CLASS_READERS,
    SCHOOL_ADMINS,
    STUDENTS,
    UNLOCKERS,
    can_use_admin,
    may_see_photo,
    page_for,
    scope_of,
)
from accounts.throttle import client_address
from assess import scoring_runs, selectors, sittings
from assess.models import ScoringRun
from itembank.bulk import MAX_BULK_ITEMS
from itembank.models import ItemType
from proctoring import seb_settings

from .accommodation_views import board_accommodations_context
from .bank_text import bank_text, item_text, people_text
from .room_views import board_rooms_context
from .student_text import runner_text
from .student_views import runner_config


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page of their role."""
    scope = scope_of(request.user)
    if scope.role == Role.STUDENT:
        return redirect("exam-list")
    if scope.has_role(*BOARD):
        return redirect("board")
    if scope.has_role(*SCHOOL_ADMINS):
        return redirect("people")
    if scope.has_role(*UNLOCKERS):
        return redirect("locked-accounts")
    if scope.has_role(*AUTHORS):
        return redirect("bank-list")
    if can_use_admin(scope):
        return redirect("admin:index")
    return render(request, "frontend/home.html")


@page_for(*STUDENTS)
def exam_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The exam runner. The page holds no content: it all comes over the websocket."""
    attempt = selectors.attempts_of_student(request.user).filter(pk=attempt_id).first()
    if attempt is None:
        raise Http404
    refused = seb_settings.refusal(
        attempt, url=request.build_absolute_uri(), headers=request.headers, address=client_address(request)
    )
    if refused is not None:  # the sitting requires Safe Exam Browser and this is not it
        return render(request, "frontend/errors/seb.html", {"message": refused}, status=403)
    return render(
        request,
        "frontend/exam.html",
        {
            "attempt": selectors.attempt_summary(attempt),
            # never the code itself; placed in a room, the room's code (shown by its proctor)
            "needs_access_code": bool(attempt.room.access_code if attempt.room else attempt.sitting.access_code),
            "runner_config": runner_config(attempt.pk),
            "runner_text": runner_text(),
            "item_text": item_text(),
        },
    )


@page_for(*BOARD)
def board(request: HttpRequest) -> HttpResponse:
    """The board's sittings: a month's calendar (``?month=2026-12``) and the list of that month."""
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in request.GET.get("month", f"{today:%Y-%m}").split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise Http404 from None
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start, end = weeks[0][0], weeks[-1][-1]
    zone = timezone.get_current_timezone()
    window_start = datetime.combine(start, time.min, tzinfo=zone)
    window_end = datetime.combine(end, time.max, tzinfo=zone)
    runs = list(
        sittings.sittings_run_by(request.user)
        .filter(opens_at__lte=window_end, closes_at__gte=window_start)
        .order_by("opens_at", "pk")
    )
    days: dict[date, list] = {}
    for sitting in runs:
        opens = timezone.localtime(sitting.opens_at).date()
        closes = timezone.localtime(sitting.closes_at).date()
        day = max(opens, start)
        while day <= min(closes, end):
            days.setdefault(day, []).append({"sitting": sitting, "first": day == opens})
            day += timedelta(days=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "frontend/board.html",
        {
            "sittings": [s for s in runs if s.opens_at.date() <= end],
            "month": first,
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}",
            "today": today,
            "weeks": [
                [{"date": d, "in_month": d.month == first.month, "entries": days.get(d, [])} for d in week]
                for week in weeks
            ],
        },
    )


@page_for(*ASSESSORS)
def board_sitting(request: HttpRequest, sitting_id: int) -> HttpResponse:
    """A sitting's candidates and results, for whoever runs it (a board, or the teacher of an assignment)."""
    sitting = sittings.sittings_run_by(request.user).filter(pk=sitting_id).first()
    if sitting is None:
        raise Http404
    results = selectors.sitting_results(sitting)
    top = max((b["count"] for b in results["distribution"]), default=0) or 1
    bars = [{**b, "percent": round(100 * b["count"] / top)} for b in results["distribution"]]
    # Scoring the whole sitting: shown to whoever runs it (assess.scoring_runs; the API checks again).
    scoring: dict[str, object] = {"scoring_section": False}
    try:
        sittings.require_runner(request.user, sitting)
    except PermissionDenied:
        pass
    else:
        runs = [scoring_runs.run_data(run) for run in scoring_runs.runs_of(sitting)]
        for run in runs:
            run["status_label"] = ScoringRun.Status(run["status"]).label
            run["mode_label"] = ScoringRun.Mode(run["mode"]).label
        statistics = next((run["statistics"] for run in runs if run["statistics"]), None)
        types = dict(ItemType.choices)
        for item in (statistics or {}).get("items", []):
            item["type_label"] = types.get(item["item_type"], item["item_type"])
        scoring = {
            "scoring_section": True,
            "scoring_run": runs[0] if runs else None,
            "scoring_statistics": statistics,
            "scoring_config": {
                "url": reverse("api-sitting-scoring-runs", args=[sitting.pk]),
                "active": bool(runs) and runs[0]["status"] in scoring_runs.ACTIVE,
            },
        }
    return render(
        request,
        "frontend/board_sitting.html",
        {
            "results": results,
            "bars": bars,
            **scoring,
            # Calibrating into the shared bank is the exam board's (results.calibration checks again).
            "can_calibrate": scoring["scoring_section"] and scope_of(request.user).has_role(*BOARD),
            **board_rooms_context(request, sitting),
            **board_accommodations_context(request, sitting),
        },
    )


# --- the item bank's authoring pages: every datum comes from the JSON API -------------------


def _bank_page(request: HttpRequest, template: str, **config: object) -> HttpResponse:
    """Render a bank page with what its script needs: who asks, which object, the UI's words."""
    user = request.user
    return render(
        request,
        f"frontend/bank/{template}",
        {
            "bank_config": {
                "user": {"id": user.pk, "role": user.role, "board": scope_of(user).has_role(*BOARD)},
                **config,
            },
            "bank_text": bank_text(),
            "item_text": item_text(),
            "grades": range(1, 13),
        },
    )


@page_for(*AUTHORS)
def bank_list(request: HttpRequest) -> HttpResponse:
    return _bank_page(request, "list.html", maxBulk=MAX_BULK_ITEMS)


@page_for(*AUTHORS)
def bank_item_new(request: HttpRequest) -> HttpResponse:
    return _bank_page(request, "editor.html", itemId=None)


@page_for(*AUTHORS)
def bank_item(request: HttpRequest, item_id: int) -> HttpResponse:
    return _bank_page(request, "editor.html", itemId=item_id)


@page_for(*AUTHORS)
def bank_review(request: HttpRequest) -> HttpResponse:
    return _bank_page(request, "review.html")


@page_for(*AUTHORS)
def bank_blueprints(request: HttpRequest) -> HttpResponse:
    return _bank_page(request, "blueprints.html")


@page_for(*AUTHORS)
def bank_blueprint_new(request: HttpRequest) -> HttpResponse:
    return _bank_page(request, "blueprint.html", blueprintId=None)


@page_for(*AUTHORS)
def bank_blueprint(request: HttpRequest, blueprint_id: int) -> HttpResponse:
    return _bank_page(request, "blueprint.html", blueprintId=blueprint_id)


@page_for(*AUTHORS)
def bank_import(request: HttpRequest) -> HttpResponse:
    return _bank_page(request, "import.html")


# --- logins, passwords and locked accounts ---------------------------------------------------


class LoginView(auth_views.LoginView):
    """The login page: the throttled form says when an account is locked or an address waits."""

    authentication_form = AuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone changes their own password here; the old one is checked through the throttle."""

    form_class = PasswordChangeForm
    template_name = "frontend/password_change.html"
    success_url = reverse_lazy("password-change-done")

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}


@page_for(*UNLOCKERS)
def locked_accounts(request: HttpRequest) -> HttpResponse:
    """Tài khoản bị khoá: the locked accounts this proctor, board member or administrator may unlock."""
    return render(
        request,
        "frontend/locked_accounts.html",
        {
            "locks": account_selectors.locked_accounts_for(request.user, timezone.now()),
            "unlocks": account_selectors.account_events_for(request.user, kinds=(AccountEvent.Kind.UNLOCKED,)),
        },
    )


@page_for(*UNLOCKERS)
@require_POST
def locked_account_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        unlocked = account_services.account_unlock(by=request.user, user_id=user_id)
    except User.DoesNotExist:
        raise Http404 from None
    target = User.objects.get(pk=user_id)
    if unlocked:
        messages.success(request, _("%(name)s can log in again.") % {"name": target.get_full_name() or target.username})
    else:
        messages.info(request, _("%(name)s was not locked.") % {"name": target.get_full_name() or target.username})
    return redirect("locked-accounts")


# --- classes and people ---------------------------------------------------------------------------


@page_for(*CLASS_READERS)
def people(request: HttpRequest) -> HttpResponse:
    """Lớp và học sinh: the classes of a school year; a school's administrator imports rosters."""
    scope = scope_of(request.user)
    year = request.GET.get("year") or account_selectors.current_school_year()
    try:
        validate_school_year(year)
    except ValidationError:
        raise Http404 from None
    manages = scope.has_role(*SCHOOL_ADMINS)
    organisations = account_selectors.organisations_managed_by(request.user) if manages else []
    # A homeroom teacher imports their class's students: the section shows for their school.
    homerooms = [] if manages else list(account_selectors.homeroom_classes_of(request.user, school_year=year))
    if homerooms:
        organisations = [homerooms[0].school]
    return render(
        request,
        "frontend/people.html",
        {
            "year": year,
            "years": account_selectors.school_years_near(year),
            "classes": account_selectors.classes_for(request.user, school_year=year),
            "manages": manages,
            "homerooms": homerooms,
            "homeroom_names": ", ".join(c.name for c in homerooms),
            "organisations": organisations,
            "bank_config": {},
            "bank_text": people_text(),
        },
    )


def _class_or_404(request: HttpRequest, class_id: int):
    """A class the person may see (a teacher: one they teach), else 404."""
    school_class = account_selectors.classes_for(request.user).filter(pk=class_id).first()
    if school_class is None:
        raise Http404
    return school_class


@page_for(*CLASS_READERS)
def people_class(request: HttpRequest, class_id: int) -> HttpResponse:
    school_class = _class_or_404(request, class_id)
    students = list(account_selectors.class_students(school_class))
    return render(
        request,
        "frontend/people_class.html",
        {
            "school_class": school_class,
            "students": students,
            # Photos for check-in: thumbnails for those who may see them; people.js uploads and
            # removes them for the school's administrator (its words: people_text).
            "photo_visible": {s.pk for s in students if may_see_photo(request.user, s)},
            "bank_config": {},
            "bank_text": people_text(),
            "manages": scope_of(request.user).has_role(*SCHOOL_ADMINS),
            "subject_teachers": school_class.subject_teachers.select_related("teacher", "subject").order_by(
                "subject__name", "teacher__first_name"
            ),
        },
    )


@page_for(*SCHOOL_ADMINS)
@require_POST
def people_password_reset(request: HttpRequest, class_id: int, user_id: int) -> HttpResponse:
    """Give one student a new password and show it once (it is stored only hashed)."""
    school_class = _class_or_404(request, class_id)
    try:
        password = account_services.password_reset(
            by=request.user, user_id=user_id, address=request.META.get("REMOTE_ADDR", "")
        )
    except User.DoesNotExist:
        raise Http404 from None
    response = render(
        request,
        "frontend/password_reset_done.html",
        {"person": User.objects.get(pk=user_id), "password": password, "school_class": school_class},
    )
    response["Cache-Control"] = "no-store"
    return response


@page_for(*SCHOOL_ADMINS)
@require_POST
def people_login_cards(request: HttpRequest, class_id: int) -> HttpResponse:
    """Login cards of a class (to print, or as a PDF) or the same as a CSV file: first passwords
    for the students who have never logged in, issued now and shown only in this answer."""
    school_class = _class_or_404(request, class_id)
    issued = account_services.class_first_passwords(
        by=request.user, class_id=class_id, address=request.META.get("REMOTE_ADDR", "")
    )
    login_url = request.build_absolute_uri(reverse("login"))
    if request.POST.get("format") == "pdf":
        return login_cards.login_cards_response(school_class, issued, login_url)
    if request.POST.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_("Class"), _("Name"), _("Learner identifier"), _("Username"), _("Password"), _("Address")])
        for student, password in issued:
            full_name = student.get_full_name() or student.username
            writer.writerow([school_class.name, full_name, student.learner_id, student.username, password, login_url])
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        filename = f"mat-khau-lop-{slugify(school_class.name) or school_class.pk}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = render(
            request,
            "frontend/login_cards.html",
            {"school_class": school_class, "issued": issued, "login_url": login_url},
        )
    response["Cache-Control"] = "no-store"
    return response
