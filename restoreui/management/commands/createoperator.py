"""Give a user the operator role: membership of the group "operators".

Projects that list their own operators in the projects file ignore that group;
for those, add the user or one of their groups to the project's list instead.
"""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from restoreui.permissions import OPERATORS_GROUP


class Command(BaseCommand):
    help = 'Create a user (or take an existing one) and add it to the group "operators".'

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--no-password",
            action="store_true",
            help="For a new user who logs in through single sign-on only: set no password.",
        )

    def handle(self, username, no_password, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        created = user is None
        if user is None:
            user = User(username=username)
            if no_password:
                user.set_unusable_password()
            else:
                user.set_password(self._ask_password(user))
            user.save()
        group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
        user.groups.add(group)
        verb = "Created" if created else "Updated"
        self.stdout.write(f'{verb} user "{username}": member of "{OPERATORS_GROUP}".')

    def _ask_password(self, user) -> str:
        password = getpass.getpass(f"Password for {user.username}: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ; nothing was created.")
        try:
            validate_password(password, user)
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from e
        return password
