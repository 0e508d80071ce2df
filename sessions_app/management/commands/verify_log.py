from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app import selectors
from sessions_app.models import Process

REASONS = {
    "seq_gap": lambda: _("an entry is missing or out of order"),
    "prev_mismatch": lambda: _("its previous hash does not match the entry before it"),
    "hash_mismatch": lambda: _("its content does not match its hash"),
    "unreadable": lambda: _("the entry cannot be read"),
    "head_mismatch": lambda: _(
        "the end of the log does not match the head the process recorded "
        "(entries missing or replaced at the end)"
    ),
}


def describe(reason: str) -> str:
    return REASONS[reason]() if reason in REASONS else reason


class Command(BaseCommand):
    help = gettext_lazy(
        "Verify the hash chain of the transparency log of one process, or of all processes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "slug", nargs="?", help=gettext_lazy("the process's slug; all processes if left out")
        )

    def handle(self, *args, slug=None, **options):
        if slug:
            found = Process.objects.filter(slug=slug)
            if not found:
                raise CommandError(_("No process with slug “%(slug)s”.") % {"slug": slug})
        else:
            found = Process.objects.order_by("slug")
        if not found:
            self.stdout.write(_("There are no processes to verify."))
            return
        broken = 0
        for process in found:
            report = selectors.log_verify(process=process)
            if report.ok:
                self.stdout.write(
                    _("OK %(slug)s: %(count)d entries, head %(head)s")
                    % {"slug": process.slug, "count": report.count, "head": report.head}
                )
            else:
                broken += 1
                self.stderr.write(
                    _("BROKEN %(slug)s: entry %(seq)s (row id %(id)s): %(reason)s")
                    % {
                        "slug": process.slug,
                        "seq": report.broken_seq,
                        "id": report.broken_id if report.broken_id is not None else "-",
                        "reason": describe(report.reason),
                    }
                )
        if broken:
            raise CommandError(_("%(n)d log(s) failed verification.") % {"n": broken})
