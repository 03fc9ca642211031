"""python manage.py export_items --format qti3|moodle|xlsx --out PATH"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from itembank.exporting import EXPORT_FORMATS, export_versions, versions_for_export
from itembank.models import ItemVersion


class Command(BaseCommand):
    help = "Export the bank's items (the latest version of each) as a QTI 3.0 package, Moodle XML or Excel."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=EXPORT_FORMATS)
        parser.add_argument("--out", required=True, help="the file to write")
        parser.add_argument("--user", help="export what this user may see (default: every item, as an administrator)")
        parser.add_argument("--subject", help="only this subject (code)")
        parser.add_argument("--status", choices=ItemVersion.Status.values, help="only versions in this status")

    def handle(self, *args, **options):
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']!r}")
        else:
            user = User(role="admin", is_active=True)  # the operator at the console sees the whole bank
        versions = versions_for_export(user, subject=options["subject"], status=options["status"])
        try:
            data = export_versions(versions, format=options["format"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        out = Path(options["out"])
        out.write_bytes(data)
        self.stdout.write(f"{versions.count()} item(s) written to {out} ({len(data)} bytes)")
