"""Unlock an account from the command line (for an administrator locked out, say); audited."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = "Lift the lock on an account after too many wrong passwords (audited as done by an operator)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account is named {username!r}.")
        if services.account_unlock(by=None, user_id=user.pk):
            self.stdout.write(f"{username} is unlocked.")
        else:
            self.stdout.write(f"{username} was not locked.")
