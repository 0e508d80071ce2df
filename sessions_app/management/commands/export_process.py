import json
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.design import process_to_dict
from sessions_app.management.base import TranslatedCommand
from sessions_app.models import Process


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Write a process's design (inspraak.process/1) to a file or to standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            help=gettext_lazy("file to write; standard output if left out"),
        )

    def handle(self, *args, slug: str, output: Path | None = None, **options):
        process = Process.objects.filter(slug=slug).first()
        if process is None:
            raise CommandError(_("No process with slug “%(slug)s”.") % {"slug": slug})
        text = json.dumps(process_to_dict(process), ensure_ascii=False, indent=2) + "\n"
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding="utf-8")
