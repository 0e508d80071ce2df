from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.exports import data
from sessions_app.management.base import TranslatedCommand
from sessions_app.models import Process
from sessions_app.services.exports import OUTPUTS

#: Each format this command writes: its writer, and whether it writes bytes (``csv`` is
#: a ZIP of CSV files). The same outputs as the process page's.
FORMATS = {str(fmt): (write, binary) for fmt, (write, binary, _end, _type) in OUTPUTS.items()}


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Write a process's results, raw responses and log for the council and as open data."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--format", choices=sorted(FORMATS), default="json")
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            help=gettext_lazy("file to write; standard output if left out"),
        )
        parser.add_argument(
            "--base-url",
            default="",
            help=gettext_lazy(
                "the site's address, for the links in the files when SITE_URL is not set "
                "(without either, the report leaves its links out)"
            ),
        )

    def handle(
        self,
        *args,
        slug: str,
        format: str,
        output: Path | None = None,
        base_url: str = "",
        **options,
    ):
        process = Process.objects.filter(slug=slug).first()
        if process is None:
            raise CommandError(_("No process with slug “%(slug)s”.") % {"slug": slug})
        if base_url and not data.site_address(base_url):
            raise CommandError(
                _("--base-url must be an address such as https://inspraak.example.nl")
            )
        with data.site(base_url):
            self._write(process, format, output)

    def _write(self, process: Process, format: str, output: Path | None) -> None:
        write, binary = FORMATS[format]
        if output is None:
            if binary:
                raise CommandError(_("Give a file to write to with -o for this format."))
            write(process, _Unended(self.stdout))
            return
        # Written beside the target and moved into place: a failed export leaves no half
        # file under the name a reader expects.
        partial = output.with_name(output.name + ".partial")
        try:
            if binary:
                with partial.open("wb") as stream:
                    write(process, stream)
            else:
                with partial.open("w", encoding="utf-8", newline="\n") as stream:
                    write(process, stream)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
        self.stderr.write(_("Written: %(path)s") % {"path": output})


class _Unended:
    """The command's standard output without the line ending it adds to every write."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")
