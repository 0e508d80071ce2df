import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sessions_app import binding, selectors
from sessions_app.exports.recount import recount
from sessions_app.logchain import verify_chain
from sessions_app.management.base import TranslatedCommand
from sessions_app.models import Language, Process

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


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Verify the hash chain of the transparency log of one process, or of all processes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "slug", nargs="?", help=gettext_lazy("the process's slug; all processes if left out")
        )
        parser.add_argument(
            "--export",
            type=Path,
            metavar="FILE",
            help=gettext_lazy(
                "verify an exported JSON file instead, without the database: the log's "
                "chain and head, and a recount of its results from its raw responses"
            ),
        )

    def handle(self, *args, slug=None, export: Path | None = None, **options):
        """Output is in one language: one process's (or an export's) own, or
        ``LANGUAGE_CODE`` when all processes are verified."""
        if export is not None:
            self.verify_export(export)
            return
        if slug:
            found = list(Process.objects.filter(slug=slug))
            if not found:
                raise CommandError(_("No process with slug “%(slug)s”.") % {"slug": slug})
            with translation.override(found[0].language):
                self.verify(found)
            return
        found = list(Process.objects.order_by("slug"))
        if not found:
            self.stdout.write(_("There are no processes to verify."))
            return
        self.verify(found)

    def verify(self, found: list[Process]) -> None:
        broken = 0
        for process in found:
            report = selectors.log_verify(process=process)
            problem = binding.rows_verify(process=process) if report.ok else None
            if problem is not None:
                broken += 1
                self.stderr.write(
                    _("BROKEN %(slug)s: %(problem)s")
                    % {"slug": process.slug, "problem": binding.describe(problem)}
                )
            elif report.ok:
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

    def verify_export(self, path: Path) -> None:
        """Check an export file on its own: every log entry's hash and link, the head the
        file states, the counts it states, and every published number against a recount
        from the raw responses and hand counts in it."""
        try:
            with path.open(encoding="utf-8") as stream:
                data = json.load(stream)
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error}
            ) from None
        except ValueError as error:
            raise CommandError(
                _("%(path)s is not JSON: %(error)s") % {"path": path, "error": error}
            ) from None
        if not isinstance(data, dict) or data.get("format") != "inspraak.export/1":
            raise CommandError(
                _("%(path)s is not an Inspraak export (inspraak.export/1).") % {"path": path}
            )
        process = data.get("process")
        language = process.get("language") if isinstance(process, dict) else None
        with translation.override(
            language if language in Language.values else settings.LANGUAGE_CODE
        ):
            self.verify_export_data(data, path)

    def verify_export_data(self, data: dict, path: Path) -> None:
        try:
            slug = data["process"]["slug"]
            log = data["log"]
            integrity = data["integrity"]
        except (KeyError, TypeError):
            raise CommandError(
                _("%(path)s lacks its process, log or integrity part.") % {"path": path}
            ) from None
        problems = []
        report = verify_chain(slug, log)
        if not report.ok:
            problem = _("log entry %(seq)s: %(reason)s") % {
                "seq": report.broken_seq,
                "reason": describe(report.reason),
            }
            if report.reason == "seq_gap":
                problem += " " + _("(entry %(n)d expected here)") % {"n": report.count + 1}
            problems.append(problem)
        elif report.head != integrity.get("process_log_head") or report.count != integrity.get(
            "process_log_seq"
        ):
            problems.append(
                _(
                    "log: %(reason)s (the file ends at entry %(count)d, the process recorded %(seq)s)"
                )
                % {
                    "reason": describe("head_mismatch"),
                    "count": report.count,
                    "seq": integrity.get("process_log_seq"),
                }
            )
        stated = {
            "responses": len(data.get("responses", [])),
            "hand_counts": len(data.get("hand_counts", [])),
            "log_entries": len(log),
        }
        for key, count in stated.items():
            if integrity.get(key) != count:
                problems.append(
                    _("integrity.%(key)s: the file states %(stated)s, it holds %(count)d")
                    % {"key": key, "stated": integrity.get(key), "count": count}
                )
        try:
            problems += [
                _("results: %(path)s: published %(published)s, recounted %(recounted)s")
                % {"path": d.path, "published": d.published, "recounted": d.recounted}
                for d in recount(data)
            ]
        except (KeyError, TypeError, ValueError) as error:
            problems.append(
                _("the responses or results cannot be read (%(error)s)") % {"error": error}
            )
        if problems:
            for problem in problems:
                self.stderr.write(
                    _("BROKEN %(slug)s: %(problem)s") % {"slug": slug, "problem": problem}
                )
            raise CommandError(
                ngettext(
                    "The export failed verification (%(n)d problem).",
                    "The export failed verification (%(n)d problems).",
                    len(problems),
                )
                % {"n": len(problems)}
            )
        self.stdout.write(
            ngettext(
                "OK %(slug)s: %(count)d log entries, head %(head)s; %(questions)d question "
                "recounted from %(responses)d responses",
                "OK %(slug)s: %(count)d log entries, head %(head)s; %(questions)d questions "
                "recounted from %(responses)d responses",
                len(data.get("questions", [])),
            )
            % {
                "slug": slug,
                "count": report.count,
                "head": report.head,
                "questions": len(data.get("questions", [])),
                "responses": stated["responses"],
            }
        )
