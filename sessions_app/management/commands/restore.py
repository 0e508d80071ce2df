from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.backups import BackupRefused, backup_restore
from sessions_app.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Restore a backup made by 'backup' (its dated directory) into an empty database and "
        "an empty MEDIA_ROOT, after checking every file against the manifest's SHA-256."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options):
        try:
            restored = backup_restore(directory)
        except BackupRefused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(
            _("Restored the backup of %(time)s: the database and %(files)d media files.")
            % {"time": restored.manifest["created_at"], "files": restored.media_files}
        )
        for note in restored.notes:
            self.stdout.write(note)
        self.stdout.write(_("Next: manage.py verify_log, then start the server."))
