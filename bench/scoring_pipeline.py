"""Benchmark: score a sitting of 100,000 attempts x 40 items on 2 Celery workers, then rescore it.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/scoring_pipeline.py [--attempts 100000] [--workers 2] [--chunk 2000] [--keep]

Uses a database of its own, ``assess_bench_pipeline`` on the PostgreSQL server of DATABASE_URL
(made afresh, migrated, dropped afterwards unless ``--keep``; ``--reuse`` takes a kept one as it
is, rescoring from a clean slate), and the Redis database of REDIS_URL as the Celery broker.

1. Setup (not timed): an exam board, a national-exam-like assessment of 40 items (32 single
   choice worth 0.25, calibrated 2PL; 4 true/false groups worth 1; 4 short numeric worth 0.5;
   counted in quarters) with a master form and 4 test codes, ``--attempts`` students, one
   handed-in attempt each (codes dealt in turn), and their answers simulated from a 2PL model
   (about 2% blank): users through the ORM in bulk, attempts and answers with PostgreSQL's COPY.
2. Starts ``--workers`` real Celery worker processes (solo pool, one task at a time each).
3. Scoring: ``sitting_score_start`` as the board would (POST /api/sittings/<id>/scoring-runs/),
   timed from the start to the last chunk done (every result, transition and record entry
   written), and to the run done (item analysis written).
4. Rescore after a re-key: one single-choice item re-keyed on the master and every code, then a
   rescore run, timed the same way, with how many results changed.
5. Calibration (``results.calibration``): the sitting's responses calibrated 2PL with the 31
   calibrated single-choice items as anchors, the 8 others estimated on the bank's scale, item
   fit measured, then their parameters written back into the bank; timed in-process.

Prints the figures (seconds, attempts/s, peak RSS of each worker), checks the rows (one result
and one record entry per attempt, one ``submitted -> scored`` transition each) and prints the
machine. The issue's targets: scoring under 60 s, the rescore under 30 s, for 100,000 attempts
with 2 worker processes; calibration and write-back under 10 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

BENCH_DATABASE = "assess_bench_pipeline"
SCORE_TARGET, RESCORE_TARGET, CALIBRATION_TARGET = 60.0, 30.0, 10.0
N_CHOICE, N_TRUE_FALSE, N_NUMERIC = 32, 4, 4
CODES = 4
TF_KEYS = {"a": True, "b": False, "c": True, "d": False}
NUMERIC_ANSWERS = ["2,5", "-1,5", "12", "0,75"]
NUMERIC_WRONG = ["2,4", "25", "1,25", "-12", "0,7", "3"]
YEAR = "2026-2027"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, IndexError, ValueError):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


# --- the database ----------------------------------------------------------------------------------


def use_database(url: str, *, reuse: bool, name: str = BENCH_DATABASE) -> str:
    """Point Django at the bench database ``name`` (made afresh unless reused); its URL."""
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (reuse and exists):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return bench_url


def drop_database(url: str, name: str = BENCH_DATABASE) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def copy_rows(model, columns: list[str], lines) -> None:
    """COPY text lines (tab-separated, already escaped) into ``model``'s table."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for count, line in enumerate(lines, start=1):
                buffer.write(line)
                if count % 50_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())


def build_items(board, teacher, subject):
    """The 40 items, published (and the choice items calibrated); [(version, kind, key)]."""
    import numpy as np

    from itembank import services as bank
    from itembank.models import CognitiveLevel

    rng = np.random.default_rng(7)
    made = []

    def publish(version):
        bank.item_version_submit(by=teacher, version_id=version.pk)
        bank.item_version_approve(by=board, version_id=version.pk)
        return bank.item_version_publish(by=board, version_id=version.pk)

    for number in range(N_CHOICE):
        key = "ABCD"[number % 4]
        version = bank.item_create(
            by=teacher,
            subject=subject,
            level=CognitiveLevel.KNOW,
            content={
                "stem": f"Câu {number + 1}: chọn phương án đúng.",
                "options": [{"id": o, "text": f"Phương án {o}"} for o in "ABCD"],
                "key": key,
            },
        )
        version = publish(version)
        version = bank.item_version_set_calibration(
            by=board,
            version_id=version.pk,
            irt_a=float(rng.uniform(0.7, 2.0)),
            irt_b=float(rng.normal(0, 1)),
            calibration="bench",
        )
        made.append((version, "single_choice", key))
    for number in range(N_TRUE_FALSE):
        version = bank.item_create(
            by=teacher,
            subject=subject,
            level=CognitiveLevel.UNDERSTAND,
            item_type="true_false_group",
            content={
                "stem": f"Câu {number + 1}",
                "statements": [{"id": s, "text": f"Mệnh đề {s}"} for s in "abcd"],
                "keys": TF_KEYS,
            },
        )
        made.append((publish(version), "true_false_group", TF_KEYS))
    for number in range(N_NUMERIC):
        answer = NUMERIC_ANSWERS[number]
        version = bank.item_create(
            by=teacher,
            subject=subject,
            level=CognitiveLevel.APPLY,
            item_type="short_numeric",
            content={"stem": f"Câu {number + 1}: tính.", "answer": answer, "tolerance": "0", "boxes": 4},
        )
        made.append((publish(version), "short_numeric", answer))
    return made


def populate(n_attempts: int):
    """The board, the assessment, the form and codes, the students, attempts and answers."""
    import numpy as np
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Organisation, Role, User
    from assess import authoring, test_codes
    from assess.authoring import AssessmentSpec, PartSpec
    from assess.models import Answer, Assessment, Attempt, FormItem, RecordEntryType, Sitting
    from itembank.models import Subject

    department = Organisation.objects.create(name="Sở", code="so", kind=Organisation.Kind.DEPARTMENT)
    school = Organisation.objects.create(name="Trường", code="truong", kind=Organisation.Kind.SCHOOL, parent=department)
    board = User.objects.create(username="hoidong", role=Role.BOARD, organisation=department)
    teacher = User.objects.create(username="giaovien", role=Role.TEACHER, organisation=school)
    subject = Subject.objects.create(code="toan", name="Toán")
    items = build_items(board, teacher, subject)
    assessment = authoring.assessment_create(
        by=board,
        spec=AssessmentSpec(
            title="Thi thử tốt nghiệp",
            kind=Assessment.Kind.PERIODIC,
            subject_id=subject.pk,
            school_year=YEAR,
            term=2,
            record_entry_type=RecordEntryType.ENDTERM,
            duration_minutes=90,
            score_step="0.25",
            parts=(
                PartSpec("Phần I", N_CHOICE, Decimal("0.25"), "single_choice"),
                PartSpec("Phần II", N_TRUE_FALSE, Decimal("1"), "true_false_group"),
                PartSpec("Phần III", N_NUMERIC, Decimal("0.5"), "short_numeric"),
            ),
            organisation_id=department.pk,
        ),
    )
    by_kind = {
        kind: [v.item_id for v, k, _key in items if k == kind]
        for kind in ("single_choice", "true_false_group", "short_numeric")
    }
    master = authoring.form_build(
        by=board,
        assessment_id=assessment.pk,
        code="GOC",
        item_ids=[by_kind["single_choice"], by_kind["true_false_group"], by_kind["short_numeric"]],
    )
    codes = test_codes.codes_generate(by=board, form_id=master.pk, count=CODES, seed=11)
    now = timezone.now()
    sitting = Sitting.objects.create(
        assessment=assessment,
        form=master,
        organisation=department,
        kind=Sitting.Kind.EXAM,
        title="Ca thi",
        opens_at=now - timedelta(hours=3),
        closes_at=now - timedelta(minutes=10),
        created_by=board,
    )
    # Students through the ORM in bulk (every column of the user table has its default there).
    User.objects.bulk_create(
        (
            User(
                username=f"hs{n:06d}",
                role=Role.STUDENT,
                organisation=school,
                learner_id=f"HS{n:08d}",
                first_name="An",
                last_name=f"Nguyễn {n}",
            )
            for n in range(n_attempts)
        ),
        batch_size=5000,
    )
    students = list(User.objects.filter(role=Role.STUDENT).order_by("pk").values_list("pk", flat=True))
    forms = [code.pk for code in codes]
    stamp = (now - timedelta(minutes=20)).isoformat()
    started = (now - timedelta(minutes=100)).isoformat()
    copy_rows(
        Attempt,
        [
            "sitting_id",
            "student_id",
            "number",
            "checked_items",
            "form_id",
            "status",
            "started_at",
            "submitted_at",
            "submit_reason",
            "last_seq",
            "event_count",
            "time_scale",
            "large_text",
            "updated_at",
        ],
        (
            f"{sitting.pk}\t{student}\t1\t[]\t{forms[index % CODES]}\tsubmitted\t{started}\t{stamp}\tdeadline\t40\t40\t1\tf\t{stamp}\n"
            for index, student in enumerate(students)
        ),
    )
    attempts = list(Attempt.objects.filter(sitting=sitting).order_by("pk").values_list("pk", "form_id"))
    # form item id of (form, master position)
    where = {(fi.form_id, fi.master_position or fi.position): fi.pk for fi in FormItem.objects.filter(form__in=forms)}
    master_items = list(FormItem.objects.filter(form=master).select_related("item_version").order_by("position"))
    rng = np.random.default_rng(2026)
    theta = rng.normal(0, 1, len(attempts))
    a = np.array([fi.item_version.irt_a or 1.0 for fi in master_items])
    b = np.array([fi.item_version.irt_b if fi.item_version.irt_b is not None else rng.normal() for fi in master_items])
    right = rng.random((len(attempts), len(master_items))) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    blank = rng.random((len(attempts), len(master_items))) < 0.02
    noise = rng.integers(0, 1 << 30, (len(attempts), len(master_items)))
    kinds = [k for _v, k, _key in items]
    keys = {v.pk: key for v, _k, key in items}
    item_keys = [keys[fi.item_version_id] for fi in master_items]
    kinds = [next(k for v, k, _key in items if v.pk == fi.item_version_id) for fi in master_items]

    def value(i: int, j: int) -> str:
        kind, key, r = kinds[j], item_keys[j], int(noise[i, j])
        if kind == "single_choice":
            chosen = key if right[i, j] else "ABCD".replace(key, "")[r % 3]
            return json.dumps(chosen)
        if kind == "true_false_group":
            flips = 0 if right[i, j] else (r % 15) + 1  # which statements are wrong, as bits
            return json.dumps({s: (not v) if flips >> n & 1 else v for n, (s, v) in enumerate(key.items())})
        return json.dumps(key if right[i, j] else NUMERIC_WRONG[r % len(NUMERIC_WRONG)], ensure_ascii=False)

    def lines():
        for i, (attempt_id, form_id) in enumerate(attempts):
            for j in range(len(master_items)):
                if not blank[i, j]:
                    yield f"{attempt_id}\t{where[(form_id, j + 1)]}\t{value(i, j)}\t{j + 1}\tf\t0\t{stamp}\n"

    copy_rows(
        Answer, ["attempt_id", "form_item_id", "value", "value_seq", "flagged", "flag_seq", "updated_at"], lines()
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return board, sitting


def reset(sitting) -> None:
    """A kept database back to every attempt handed in and nothing scored."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM assess_recordentry WHERE attempt_id IN (SELECT id FROM assess_attempt WHERE sitting_id = %s)",
            [sitting.pk],
        )
        cursor.execute(
            "DELETE FROM assess_result WHERE attempt_id IN (SELECT id FROM assess_attempt WHERE sitting_id = %s)",
            [sitting.pk],
        )
        cursor.execute("DELETE FROM assess_attempttransition")
        cursor.execute("DELETE FROM assess_scoringchunk")
        cursor.execute("DELETE FROM assess_scoringrun")
        cursor.execute("UPDATE assess_attempt SET status = 'submitted' WHERE sitting_id = %s", [sitting.pk])
        cursor.execute("UPDATE assess_formitem SET key_override = NULL")
        cursor.execute("VACUUM ANALYZE")


# --- the workers ------------------------------------------------------------------------------------


def start_workers(count: int, env: dict[str, str], folder: Path) -> list[tuple[subprocess.Popen, Path]]:
    workers = []
    for number in range(1, count + 1):
        log = folder / f"worker{number}.log"
        command = [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench{number}@%h",
        ]
        with open(log, "wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        workers.append((process, log))
    deadline = time.monotonic() + 60
    for process, log in workers:
        while b"ready" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("a worker did not start:\n" + log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
    return workers


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def purge_broker(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for pattern in ("_kombu.*", "unacked*", "celery*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    client.close()


def timed_run(board, sitting, *, rescore: bool, limit: float = 900.0) -> tuple[float, float, object]:
    """Start a run and wait for it: (seconds to the last chunk done, seconds to the run done, run)."""
    from assess import scoring_runs
    from assess.models import ScoringRun

    started = time.perf_counter()
    run = scoring_runs.sitting_score_start(by=board, sitting_id=sitting.pk, rescore=rescore)
    chunks_done = None
    while True:
        time.sleep(0.05)
        state = ScoringRun.objects.values("status", "done_chunks", "failed_chunks", "total_chunks").get(pk=run.pk)
        if chunks_done is None and state["done_chunks"] + state["failed_chunks"] >= state["total_chunks"]:
            chunks_done = time.perf_counter() - started
        if state["status"] in ("done", "failed"):
            break
        if time.perf_counter() - started > limit:
            raise TimeoutError(f"the run did not end within {limit:.0f} s: {state}")
    finished = time.perf_counter() - started
    run.refresh_from_db()
    return chunks_done or finished, finished, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=2000, help="attempts per chunk (SCORING_CHUNK_SIZE)")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {BENCH_DATABASE} afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database (its attempts as they are)")
    args = parser.parse_args()
    url, broker = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not broker:
        parser.error("needs DATABASE_URL (a PostgreSQL server) and REDIS_URL (the Celery broker)")
    os.environ["SCORING_CHUNK_SIZE"] = str(args.chunk)
    bench_url = use_database(url, reuse=args.reuse)
    from django.db import connection

    from accounts.models import User
    from assess.models import Attempt, AttemptTransition, FormItem, RecordEntry, Result, Sitting

    folder = Path(tempfile.mkdtemp(prefix="bench-scoring-"))
    workers: list[tuple[subprocess.Popen, Path]] = []
    ok = True
    try:
        started = time.perf_counter()
        sitting = Sitting.objects.filter(title="Ca thi").first() if args.reuse else None
        if sitting is None:
            board, sitting = populate(args.attempts)
        else:
            board = User.objects.get(username="hoidong")
            reset(sitting)
        n = Attempt.objects.filter(sitting=sitting).count()
        answers = connection.cursor()
        answers.execute("SELECT count(*) FROM assess_answer")
        n_answers = answers.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
        print(f"machine:   {machine()}, PostgreSQL {pg_version}")
        print(
            f"setup:     {n:,} handed-in attempts x 40 items ({n_answers:,} answers, {CODES} test codes) "
            f"in {time.perf_counter() - started:.1f} s (not timed)"
        )
        purge_broker(broker)
        env = {
            **os.environ,
            "DATABASE_URL": bench_url,
            "REDIS_URL": broker,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SCORING_CHUNK_SIZE": str(args.chunk),
            "PYTHONUNBUFFERED": "1",
        }
        workers = start_workers(args.workers, env, folder)
        print(f"workers:   {args.workers} Celery processes (solo pool), chunks of {args.chunk:,} attempts")

        chunks_seconds, total_seconds, run = timed_run(board, sitting, rescore=False)
        results = Result.objects.filter(attempt__sitting=sitting).count()
        entries = RecordEntry.objects.filter(attempt__sitting=sitting).count()
        scorings = AttemptTransition.objects.filter(attempt__sitting=sitting, to_status="scored").count()
        right = run.status == "done" and results == entries == scorings == n
        ok = ok and right
        print(
            f"score:     {chunks_seconds:.1f} s to the last chunk done ({n / chunks_seconds:,.0f} attempts/s), "
            f"{total_seconds:.1f} s with the item analysis; {run.total_chunks} chunks, "
            f"{results:,} results, {entries:,} record entries, {scorings:,} transitions "
            f"-> {'PASS' if right and chunks_seconds < SCORE_TARGET else 'FAIL'} (target < {SCORE_TARGET:.0f} s)"
        )
        stats = run.statistics or {}
        print(
            f"analysis:  {stats.get('attempts', 0):,} attempts, alpha {stats.get('alpha')}, {len(stats.get('items', []))} items"
        )

        # One single-choice item re-keyed (its key was wrong): on the master and every code.
        first = FormItem.objects.select_related("item_version").get(form_id=sitting.form_id, position=1)
        key = first.item_version.content["key"]
        FormItem.objects.filter(form__assessment=sitting.assessment, item_version=first.item_version).update(
            key_override={"key": "ABCD"[("ABCD".index(key) + 1) % 4]}
        )
        chunks_seconds, total_seconds, rerun = timed_run(board, sitting, rescore=True)
        right = rerun.status == "done" and rerun.changed > 0
        ok = ok and right
        print(
            f"rescore:   {chunks_seconds:.1f} s to the last chunk done ({n / chunks_seconds:,.0f} attempts/s), "
            f"{total_seconds:.1f} s with the item analysis; {rerun.changed:,} results and "
            f"{rerun.record_entries:,} record entries changed "
            f"-> {'PASS' if right and chunks_seconds < RESCORE_TARGET else 'FAIL'} (target < {RESCORE_TARGET:.0f} s)"
        )
        ok = ok and chunks_seconds < RESCORE_TARGET

        # Calibration back into the bank: 2PL, the calibrated items as anchors (item 1, re-keyed
        # above, is no anchor), the work a worker's job does, timed here in-process; then the
        # write-back of every new item's parameters.
        from results.calibration import calibration_apply, calibration_run
        from results.models import Calibration

        started = time.perf_counter()
        calibration = Calibration.objects.create(sitting=sitting, model="2pl", created_by=board)
        calibration_run(by=board, calibration_id=calibration.pk)
        calibrated = time.perf_counter() - started
        calibration.refresh_from_db()
        applied = calibration_apply(by=board, calibration_id=calibration.pk)
        seconds = time.perf_counter() - started
        right = calibration.converged and len(applied.written) > 0
        ok = ok and right and seconds < CALIBRATION_TARGET
        print(
            f"calibrate: {calibrated:.1f} s to calibrate {calibration.persons:,} candidates "
            f"({calibration.anchors} anchors, {calibration.iterations} EM cycles, estimation {calibration.seconds:.1f} s), "
            f"{seconds:.1f} s with {len(applied.written)} items written back "
            f"-> {'PASS' if right and seconds < CALIBRATION_TARGET else 'FAIL'} (target < {CALIBRATION_TARGET:.0f} s)"
        )
        rss = ", ".join(f"{peak_rss_mb(process.pid):.0f} MB" for process, _log in workers)
        print(f"workers:   peak RSS {rss}")
    finally:
        for process, _log in workers:
            process.terminate()
        for process, _log in workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        purge_broker(broker)
        shutil.rmtree(folder, ignore_errors=True)
        if not args.keep:
            drop_database(bench_url)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
