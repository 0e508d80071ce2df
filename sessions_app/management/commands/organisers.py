from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.management.base import TranslatedCommand
from sessions_app.staff_permissions import organise_grant, organise_revoke, organisers


class Command(TranslatedCommand):
    help = gettext_lazy(
        "List the accounts that may start participation processes, or grant or take away "
        "that permission."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "action",
            nargs="?",
            choices=["list", "grant", "revoke"],
            default="list",
            help=gettext_lazy("list (the default), grant or revoke"),
        )
        parser.add_argument("usernames", nargs="*", help=gettext_lazy("the accounts' user names"))

    def handle(self, *args, action: str, usernames: list[str], **options):
        if action == "list":
            for user in organisers():
                self.stdout.write(user.username)
            return
        if not usernames:
            raise CommandError(_("Name at least one account."))
        accounts = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
        unknown = [name for name in usernames if name not in accounts]
        if unknown:
            raise CommandError(_("No account named %(names)s.") % {"names": ", ".join(unknown)})
        for name in usernames:
            if action == "grant":
                organise_grant(accounts[name])
                self.stdout.write(_("%(user)s may now start processes.") % {"user": name})
            else:
                organise_revoke(accounts[name])
                self.stdout.write(_("%(user)s may no longer start processes.") % {"user": name})
