from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.exceptions import AccessDenied, DesignError
from sessions_app.management.base import TranslatedCommand
from sessions_app.services.design_io import (
    documents_to_upload,
    load_design_file,
    process_import,
)


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Create a draft process from a design file (inspraak.process/1) and print its slug."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--organiser",
            required=True,
            help=gettext_lazy("user name of the staff account that becomes its organiser"),
        )

    def handle(self, *args, file: Path, organiser: str, **options):
        user = get_user_model().objects.filter(username=organiser, is_active=True).first()
        if user is None:
            raise CommandError(_("No staff account “%(name)s”.") % {"name": organiser})
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc.strerror}
            ) from exc
        try:
            data = load_design_file(raw)
            process = process_import(user=user, data=data)
        except AccessDenied as denied:
            raise CommandError(
                _("%(name)s: %(reason)s (manage.py organisers grant %(name)s)")
                % {"name": organiser, "reason": denied.message}
            ) from None
        except DesignError as error:
            for problem in error.problems:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(
                _("%(n)d problem(s); nothing was created.") % {"n": len(error.problems)}
            ) from None
        # Dossier documents whose file this installation does not keep were left out.
        for document in documents_to_upload(data, user):
            self.stderr.write(
                _(
                    "%(file)s: %(path)s: upload this file on the dossier page: “%(title)s” (SHA-256 %(sha256)s)"
                )
                % {"file": file, **document}
            )
        self.stdout.write(process.slug)
