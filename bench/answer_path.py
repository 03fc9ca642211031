"""Benchmark: what one candidate's connect, start and answer cost in one process, one thread.

    python bench/answer_path.py [--candidates 200] [--answers 2000]

No websocket and no concurrency: the services the exam websocket calls
(``assess.services.attempt_connect``, the state, ``attempt_message`` with a start, then with
answers), timed one after the other, with the queries each makes. It tells a change to the
path itself from a change in how a server copes with many connections (``python -m bench.load``).
With DATABASE_URL (PostgreSQL) it uses ``<name>_bench``; without, a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load.targets import throwaway_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--answers", type=int, default=2000)
    args = parser.parse_args()
    url = throwaway_database("bench")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assess import protocol, selectors, services
    from tests.factories import make_sitting

    call_command("migrate", verbosity=0)
    sitting = make_sitting(n_items=40, n_students=args.candidates)
    attempts = list(sitting.attempts.select_related("student"))
    tokens = {}
    spent = {"connect": 0.0, "state": 0.0, "start": 0.0}
    queries = 0
    for attempt in attempts:
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            token = services.attempt_connect(
                attempt_id=attempt.pk,
                user=attempt.student,
                address=f"10.0.{attempt.pk // 250}.{attempt.pk % 250}",
                session_key=f"session-{attempt.pk}",
            ).token
            connected = time.perf_counter()
            selectors.attempt_state(attempt.pk)
            stated = time.perf_counter()
            services.attempt_message(
                attempt_id=attempt.pk, user=attempt.student, token=token, message=protocol.Start(access_code="")
            )
            started = time.perf_counter()
        queries += len(captured.captured_queries)
        tokens[attempt.pk] = token
        spent["connect"] += connected - began
        spent["state"] += stated - connected
        spent["start"] += started - stated
    items = selectors.attempt_state(attempts[0].pk)["items"]
    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    began = time.perf_counter()
    with connection.execute_wrapper(count):
        for n in range(args.answers):
            attempt = attempts[n % len(attempts)]
            seq = n // len(attempts) + 1
            item = items[(seq - 1) % len(items)]
            option = item["options"][seq % len(item["options"])]["id"]
            message = protocol.AnswerMessage(seq=seq, item=item["item"], value=option)
            services.attempt_message(
                attempt_id=attempt.pk, user=attempt.student, token=tokens[attempt.pk], message=message
            )
    answering = time.perf_counter() - began
    n = len(attempts)
    print(f"machine   : {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"database  : {connection.vendor} ({url.rsplit('/', 1)[-1]})")
    print(
        f"connect   : {1000 * spent['connect'] / n:.2f} ms, state {1000 * spent['state'] / n:.2f} ms, "
        f"start (and its state) {1000 * spent['start'] / n:.2f} ms; {queries / n:.1f} queries a candidate"
    )
    print(
        f"answers   : {args.answers} in {answering:.2f} s = {args.answers / answering:.0f}/s, "
        f"{1000 * answering / args.answers:.2f} ms each, {counted[0] / args.answers:.1f} queries each"
    )


if __name__ == "__main__":
    main()
