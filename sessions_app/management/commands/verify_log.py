import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sessions_app import binding, checkpoints
from sessions_app.exports import heads
from sessions_app.exports.recount import recount, texts_check
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


HEAD_PROBLEMS = {
    "no_heads": lambda d: _("it holds no signed tree head"),
    "no_key": lambda d: _("it names no signing key (give one with --key)"),
    "bad_signature": lambda d: _("the signed head of %(size)s entries has no valid signature") % d,
    "head_beyond_log": lambda d: (
        _("a signed head counts %(size)s entries, the log holds %(count)s") % d
    ),
    "root_mismatch": lambda d: (
        _("the log's first %(size)s entries do not have the root their signed head states") % d
    ),
    "last_head_short": lambda d: (
        _("the last signed head counts %(size)s entries, the log holds %(count)s") % d
    ),
    "other_key": lambda d: (
        _("the newer file is signed with key %(new)s, the older one with key %(old)s") % d
    ),
    "other_process": lambda d: _("the older head is of process %(old)s, the newer of %(new)s") % d,
    "old_is_newer": lambda d: (
        _("the older head counts %(size)s entries, more than the newer file's %(count)s") % d
    ),
    "rewritten": lambda d: (
        _(
            "the log was rewritten: the newer file does not extend the signed head of %(size)s "
            "entries (no consistency proof holds)"
        )
        % d
    ),
}


def describe_head(code: str, details: dict) -> str:
    return HEAD_PROBLEMS[code](details) if code in HEAD_PROBLEMS else code


def read_json(path: Path):
    try:
        with path.open(encoding="utf-8") as stream:
            return json.load(stream)
    except OSError as error:
        raise CommandError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error}
        ) from None
    except ValueError as error:
        raise CommandError(
            _("%(path)s is not JSON: %(error)s") % {"path": path, "error": error}
        ) from None


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
                "chain and head, its signed tree heads, each kept text against its "
                "commitment, and a recount of its results from its raw responses"
            ),
        )
        parser.add_argument(
            "--consistency",
            nargs=2,
            type=Path,
            metavar=("OLD", "NEW"),
            help=gettext_lazy(
                "check that export NEW only appended to what OLD vouched for: OLD is an "
                "earlier export, the public log page's heads file or one saved head"
            ),
        )
        parser.add_argument(
            "--receipt",
            metavar="CODE",
            help=gettext_lazy(
                "with --export: find the answer of this receipt code in the export, prove "
                "its inclusion in the signed log and say whether it counts"
            ),
        )
        parser.add_argument(
            "--key",
            metavar="PUBLIC_KEY",
            help=gettext_lazy(
                "the installation's public key (base64) to check signatures with, instead "
                "of the key the file names"
            ),
        )

    def handle(
        self,
        *args,
        slug=None,
        export: Path | None = None,
        consistency=None,
        receipt: str | None = None,
        key: str | None = None,
        **options,
    ):
        """Output is in one language: one process's (or an export's) own, or
        ``LANGUAGE_CODE`` when all processes are verified."""
        self.key = key
        if consistency is not None:
            self.verify_consistency(*consistency)
            return
        if receipt is not None and export is None:
            raise CommandError(_("--receipt needs --export FILE."))
        if export is not None:
            self.verify_export(export, receipt=receipt)
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
            hashes: list[str] = []
            report, problem = binding.evidence_verify(process=process, hashes=hashes)
            # The heads against the entries just read (all of them, when the chain held).
            heads_problem = checkpoints.heads_verify(process, hashes if report.ok else None)
            if heads_problem is not None:
                broken += 1
                self.stderr.write(
                    _("BROKEN %(slug)s: signed heads: %(problem)s")
                    % {"slug": process.slug, "problem": describe_head(*heads_problem)}
                )
            elif problem is not None:
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

    def read_export(self, path: Path) -> dict:
        data = read_json(path)
        if not isinstance(data, dict) or data.get("format") != "inspraak.export/1":
            raise CommandError(
                _("%(path)s is not an Inspraak export (inspraak.export/1).") % {"path": path}
            )
        return data

    def language_of(self, data: dict):
        process = data.get("process")
        language = process.get("language") if isinstance(process, dict) else None
        return translation.override(
            language if language in Language.values else settings.LANGUAGE_CODE
        )

    def verify_export(self, path: Path, *, receipt: str | None = None) -> None:
        """Check an export file on its own: every log entry's hash and link, the head the
        file states, its signed tree heads, every kept text against its commitment, the
        counts it states, and every published number against a recount from the raw
        responses and hand counts in it. With ``receipt``: that receipt's answer too."""
        data = self.read_export(path)
        with self.language_of(data):
            self.verify_export_data(data, path)
            if receipt is not None:
                self.verify_receipt(data, receipt)

    def verify_receipt(self, data: dict, code: str) -> None:
        try:
            found = heads.receipt_find(data, code, key=self.key)
        except ValueError as error:
            raise CommandError(
                _("The receipt cannot be proven: %(reason)s")
                % {"reason": describe_head(str(error), {"size": "?", "count": "?"})}
            ) from None
        if found is None:
            raise CommandError(_("No answer in this export holds that receipt."))
        statuses = {
            "counted": _("it counts in the published results"),
            "superseded": _("it was replaced by a later answer, which counts instead"),
            "voided": _("it was voided and does not count"),
            "held": _("it is held for review and does not count yet"),
            "rejected": _("it was rejected and does not count"),
        }
        self.stdout.write(
            _(
                "RECEIPT OK: log entry %(seq)d (%(action)s) is in the signed log of %(size)d "
                "entries (root %(root)s), proven by %(steps)d hashes; %(status)s."
            )
            % {
                "seq": found.seq,
                "action": found.action,
                "size": found.head["size"],
                "root": found.head["root"],
                "steps": len(found.proof),
                "status": statuses.get(found.status, found.status or "-"),
            }
        )

    def verify_consistency(self, old_path: Path, new_path: Path) -> None:
        old = read_json(old_path)
        new = self.read_export(new_path)
        with self.language_of(new):
            self.verify_export_data(new, new_path)
            if not isinstance(old, dict):
                raise CommandError(_("%(path)s holds no signed tree head.") % {"path": old_path})
            problems = heads.consistency_check(old, new, key=self.key)
            if problems:
                for code, details in problems:
                    path = old_path if details.get("which") == "old" else new_path
                    self.stderr.write(
                        _("BROKEN %(path)s: %(problem)s")
                        % {"path": path, "problem": describe_head(code, details)}
                    )
                raise CommandError(
                    _("%(new)s does not extend %(old)s.") % {"new": new_path, "old": old_path}
                )
            self.stdout.write(
                ngettext(
                    "CONSISTENT: %(new)s extends the %(n)d signed head of %(old)s.",
                    "CONSISTENT: %(new)s extends all %(n)d signed heads of %(old)s.",
                    len(heads.heads_of(old)),
                )
                % {"new": new_path, "old": old_path, "n": len(heads.heads_of(old))}
            )

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
        if report.ok:
            problems += [
                _("signed heads: %(problem)s") % {"problem": describe_head(code, details)}
                for code, details in heads.heads_check(data, key=self.key)
            ]
        problems += [
            _("text %(commitment)s: %(problem)s")
            % {"commitment": commitment, "problem": _("it does not match its commitment")}
            for commitment in texts_check(data)
        ]
        responses = data.get("responses", [])
        stated = {
            "responses": len(responses),
            "responses_counted": sum(
                1 for r in responses if isinstance(r, dict) and r.get("status") == "counted"
            ),
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
        if report.ok:
            # The rows the results are recounted from, against the log that made them:
            # rows and results changed together recount fine, but no longer match it.
            try:
                row = binding.export_rows_verify(data)
            except (KeyError, TypeError, ValueError) as error:
                problems.append(
                    _("the responses or results cannot be read (%(error)s)") % {"error": error}
                )
            else:
                if row is not None:
                    problems.append(binding.describe(row))
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
