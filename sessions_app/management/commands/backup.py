from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.backups import BackupRefused, backup_create, backups_prune
from sessions_app.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Write a dated backup into DIR: the database (SQLite's online backup or pg_dump), "
        "MEDIA_ROOT as a tar archive, the signing key's public half and a manifest with "
        "each file's SHA-256; then remove this directory's backups older than "
        "BACKUP_KEEP_DAYS. Prints the new backup's path."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--keep-days",
            type=int,
            default=None,
            help=gettext_lazy("remove backups older than this many days (0: keep all)"),
        )

    def handle(self, *args, directory: Path, keep_days: int | None = None, **options):
        try:
            made = backup_create(directory)
        except BackupRefused as refused:
            raise CommandError(refused.message) from None
        # The new backup's path first, and out at once: a removal below that fails (an
        # old backup that cannot be deleted) must not hide that this backup was made.
        self.stdout.write(str(made))
        self.stdout.flush()
        keep = settings.BACKUP_KEEP_DAYS if keep_days is None else keep_days
        try:
            removed = backups_prune(directory, keep_days=keep)
        except OSError as error:
            raise CommandError(str(error)) from error
        for old in removed:
            self.stderr.write(
                _("Removed %(path)s (older than %(days)d days).") % {"path": old, "days": keep}
            )
