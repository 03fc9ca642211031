"""python manage.py import_items PATH [--format auto|qti|moodle|gift|xlsx|docx] [--dry-run]"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation, User
from itembank.importing import ImportDefaults, ImportRejected, import_commit, import_preview
from itembank.interchange.detect import FORMATS
from itembank.models import Subject, Topic, Visibility


class Command(BaseCommand):
    help = (
        "Import items from a QTI (XML or zip package), Moodle XML, GIFT, Excel or Word file: "
        "every item as a draft, or none if any item has an error (the report says which and where)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to import")
        parser.add_argument("--format", default="auto", choices=FORMATS)
        parser.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
        parser.add_argument("--user", help="username of the author the items belong to (teacher, board or admin)")
        parser.add_argument("--owner", help="code of the organisation the items belong to (default: the user's)")
        parser.add_argument("--subject", help="subject code for items whose file names no subject")
        parser.add_argument("--topic", type=int, help="topic id for items whose file names no topic")
        parser.add_argument("--level", default="biet", help="cognitive level for items whose file names none")
        parser.add_argument("--visibility", default=Visibility.SCHOOL, choices=Visibility.values)
        parser.add_argument("--grade", type=int)
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        subject = None
        if options["subject"]:
            subject = Subject.objects.filter(code=options["subject"]).first()
            if subject is None:
                raise CommandError(f"no subject with code {options['subject']!r}")
        topic = None
        if options["topic"]:
            topic = Topic.objects.filter(pk=options["topic"]).first()
            if topic is None:
                raise CommandError(f"no topic with id {options['topic']}")
        owner_id = None
        if options["owner"]:
            owner_id = Organisation.objects.filter(code=options["owner"]).values_list("pk", flat=True).first()
            if owner_id is None:
                raise CommandError(f"no organisation with code {options['owner']!r}")
        defaults = ImportDefaults(
            subject=subject,
            level=options["level"],
            topic=topic,
            visibility=options["visibility"],
            grade=options["grade"],
        )
        data = path.read_bytes()
        try:
            if options["dry_run"]:
                report, _ = import_preview(data=data, filename=path.name, format=options["format"], defaults=defaults)
            else:
                if not options["user"]:
                    raise CommandError("--user is needed to import (the items' author); use --dry-run to check only")
                user = User.objects.filter(username=options["user"]).first()
                if user is None:
                    raise CommandError(f"no user {options['user']!r}")
                if owner_id is None and user.organisation_id is None:
                    raise CommandError(f"{user.username} belongs to no organisation; name the owner with --owner")
                report, _ = import_commit(
                    by=user,
                    data=data,
                    filename=path.name,
                    format=options["format"],
                    defaults=defaults,
                    owner_id=owner_id,
                )
        except ImportRejected as exc:
            report = exc.report
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self._print(report, as_json=options["json"])
        if report.error_count:
            raise CommandError(f"{report.error_count} problem(s); nothing was imported")

    def _print(self, report, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return
        for message in report.file_errors:
            self.stdout.write(f"ERROR   {message}")
        for message in report.file_warnings:
            self.stdout.write(f"warning {message}")
        for item in report.items:
            mark = "ok     " if item.ok else "ERROR  "
            self.stdout.write(f"{mark} #{item.index} {item.item_type:<18} {item.source}: {item.preview[:60]}")
            for message in item.errors:
                self.stdout.write(f"          error: {message}")
            for message in item.warnings:
                self.stdout.write(f"          warning: {message}")
        summary = f"{len(report.items)} item(s), {report.error_count} problem(s), {report.imported} imported"
        self.stdout.write(summary)
