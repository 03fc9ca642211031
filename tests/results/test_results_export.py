"""A sitting's results as a file (results.exports): every candidate a row, as a workbook or a
CSV, made by a job for whoever runs the sitting."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from accounts.models import Role
from tests.factories import logged_in_client, make_sitting, make_user, post_job, take
from tests.results.test_moderation import board_of

pytestmark = pytest.mark.django_db


def _file(client, job) -> bytes:
    return b"".join(client.get(job["result"]["download"]).streaming_content)


def test_the_results_as_a_workbook_and_as_csv():
    sitting = make_sitting(n_items=5, n_students=3, irt=False)
    first, second, absent = sitting.attempts.select_related("student").order_by("pk")
    take(first, {1: "A", 2: "B"})
    take(second, {1: "B"})
    from assess import services

    for attempt in (first, second):
        services.attempt_score(attempt_id=attempt.pk)
    board = logged_in_client(board_of(sitting))
    code, job = post_job(
        board, f"/api/sittings/{sitting.pk}/results/export/", {"output": "xlsx"}, content_type="application/json"
    )
    assert code == 202 and job["status"] == "succeeded", job
    rows = list(load_workbook(io.BytesIO(_file(board, job))).active.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[0][0] and rows[0][12] == "θ"
    by_user = {row[3]: row for row in rows[1:]}
    assert by_user[first.student.username][10] == 4.0 and by_user[first.student.username][7] == 2.0
    assert by_user[absent.student.username][7] is None  # no result: an empty cell
    code, job = post_job(
        board, f"/api/sittings/{sitting.pk}/results/export/", {"output": "csv"}, content_type="application/json"
    )
    table = list(csv.reader(io.StringIO(_file(board, job).decode("utf-8-sig"))))
    assert len(table) == 4 and {row[3] for row in table[1:]} == {a.student.username for a in (first, second, absent)}
    assert (
        board.post(
            f"/api/sittings/{sitting.pk}/results/export/", {"output": "pdf"}, content_type="application/json"
        ).status_code
        == 400
    )
    student = logged_in_client(first.student)
    assert (
        student.post(f"/api/sittings/{sitting.pk}/results/export/", {}, content_type="application/json").status_code
        == 403
    )
    other = logged_in_client(make_user(Role.TEACHER, sitting.organisation))
    assert (
        other.post(f"/api/sittings/{sitting.pk}/results/export/", {}, content_type="application/json").status_code
        == 404
    )
