"""The engine's database for a run of drills: migrated, one form, and a sitting of its own for
each drill, every candidate logged in (a session made here, as ``bench.load`` makes them).

Run in a process of its own (``python -m bench.drills.build``), so that the drills themselves
(and the test process that runs them) never hold a Django connection to the servers they
restart:

    python -m bench.drills.build DATABASE_URL REDIS_URL ITEMS OUT.json name=students ...

writes ``{"<name>": [{"attempt", "path", "cookie", "username"}, ...], ...}`` to OUT.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.load import targets


def build(database_url: str, redis_url: str, items: int, groups: dict[str, int]) -> dict[str, list[dict]]:
    """The form and one sitting per drill (``groups``: drill -> students), as bench.load builds
    its own (``targets.engine_form``, ``targets.engine_sitting``)."""
    targets.engine_setup(database_url, redis_url)
    from django.utils import timezone

    # Three hours: the longest run of drills ends well before anyone's deadline.
    school, board, form = targets.engine_form(items, duration=timezone.timedelta(hours=3))
    return {
        group: targets.engine_sitting(
            school,
            board,
            form,
            prefix=group,
            count=students,
            title=f"Diễn tập {group}",
            closes_at=timezone.now() + timezone.timedelta(hours=4),
        )
        for group, students in groups.items()
    }


def main() -> None:
    database_url, redis_url, items, out, *groups = sys.argv[1:]
    wanted = {name: int(count) for name, count in (group.split("=") for group in groups)}
    Path(out).write_text(json.dumps(build(database_url, redis_url, int(items), wanted)))


if __name__ == "__main__":
    main()
