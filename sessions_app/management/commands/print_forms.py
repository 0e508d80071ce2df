import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from printables import registry
from printables.strings import follow_strings
from sessions_app.exceptions import ERROR_MESSAGES, InputRejected
from sessions_app.identifiers import normalise_code
from sessions_app.management.base import TranslatedCommand
from sessions_app.models import LiveSession, PrintBatch
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import batch_path, form_layout, render_batch


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Print paper forms for a live session: new sheets with their own codes, as one PDF."
    )

    def add_arguments(self, parser):
        parser.add_argument("join_code", help=gettext_lazy("the session's join code"))
        parser.add_argument(
            "--count", type=int, required=True, help=gettext_lazy("number of sheets")
        )
        parser.add_argument("--large", action="store_true", help=gettext_lazy("large print"))
        parser.add_argument(
            "--cards", action="store_true", help=gettext_lazy("an attendee card with each sheet")
        )
        parser.add_argument(
            "--qna-cards",
            action="store_true",
            help=gettext_lazy("question cards of the session's Q&A round instead of its forms"),
        )
        parser.add_argument(
            "--follow-slips",
            action="store_true",
            help=gettext_lazy(
                "“follow this plan” slips of the session's process instead (--count slips, "
                "in whole sheets of 8; no sheets are issued)"
            ),
        )
        parser.add_argument(
            "-o", "--output", type=Path, required=True, help=gettext_lazy("the PDF to write")
        )
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL or "http://localhost:8000",
            help=gettext_lazy("address the QR codes open (default: SITE_URL)"),
        )

    def handle(
        self,
        *args,
        join_code,
        count,
        large,
        cards,
        output: Path,
        base_url,
        qna_cards,
        follow_slips=False,
        **options,
    ):
        session = (
            LiveSession.objects.select_related("process")
            .filter(join_code=normalise_code(join_code))
            .first()
        )
        if session is None:
            raise CommandError(_("No session with join code “%(code)s”.") % {"code": join_code})
        if follow_slips:
            self._follow_slips(session.process, count, output, base_url)
            return
        if qna_cards and not session.questions.filter(kind="qna").exists():
            raise CommandError(str(ERROR_MESSAGES["no_qna_round"]))
        cards = cards and not qna_cards
        layout = form_layout(
            session=session, large_print=large, with_cards=cards, qna_cards=qna_cards
        )
        try:
            batch = print_batch_create(
                user=None, session=session, count=count, layout=layout, with_cards=cards
            )
        except InputRejected as error:
            raise CommandError(error.message) from None
        batch = render_batch(batch.pk, base_url)
        if batch.state != PrintBatch.State.DONE:
            raise CommandError(_("Printing failed: %(error)s") % {"error": batch.error})
        output.write_bytes(batch_path(batch).read_bytes())
        sheets = batch.sheets.order_by("serial")
        self.stdout.write(
            _(
                "%(count)d sheets (numbers %(first)d to %(last)d), %(pages)d page(s) each, layout %(layout)s: %(file)s"
            )
            % {
                "count": count,
                "first": sheets.first().serial,
                "last": sheets.last().serial,
                "pages": len(layout.data["pages"]),
                "layout": layout.version,
                "file": output,
            }
        )
        sys.stdout.flush()

    def _follow_slips(self, process, count: int, output: Path, base_url: str) -> None:
        """Slips with a QR code to the public page's follow form (``#follow``)."""
        if count < 1:
            raise CommandError(_("Give a number of slips of at least 1."))
        url = base_url.rstrip("/") + reverse("public:process", args=[process.slug]) + "#follow"
        with translation.override(process.language):
            _name, _type, body = registry.render(
                "follow",
                f"{process.slug}-follow.pdf",
                url=url,
                title=process.title,
                strings=follow_strings(),
                count=count,
            )
        output.write_bytes(body)
        self.stdout.write(
            _("“Follow this plan” slips for %(title)s (%(url)s): %(file)s")
            % {"title": process.title, "url": url, "file": output}
        )
