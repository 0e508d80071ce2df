"""Public pages: no account needed."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sessions_app import accessibility as accessibility_statement
from sessions_app import checkpoints, receipts, selectors
from sessions_app import privacy as privacy_statement
from sessions_app.exports import data
from sessions_app.identifiers import receipt_shown
from sessions_app.log_words import describe
from sessions_app.models import Level, Process, ProcessState, QuestionState, Role, StaffRole
from sessions_app.models.choices import LEVEL_EXPLANATIONS
from sessions_app.numbering import number_questions

from . import public_results
from .common import use_process_language
from .dossier import dossier_items, timeline_steps
from .strings import log_check_strings

#: How the log names a staff account (``services.log.actor_for``): ``staff:<username>``.
STAFF_PREFIX = "staff:"
#: When someone holds several roles on a process, the public log names the first of these.
ROLE_ORDER = [Role.ORGANISER, Role.FACILITATOR, Role.TELLER, Role.REVIEWER]


def index(request):
    return render(request, "public/index.html", {"processes": selectors.public_processes()})


def privacy(request):
    """The privacy statement (AVG/GDPR) of this installation, from its settings."""
    return render(request, "public/privacy.html", privacy_statement.statement_context())


def accessibility(request):
    """The accessibility statement (toegankelijkheidsverklaring) of this installation."""
    return render(request, "public/accessibility.html", accessibility_statement.statement_context())


def process_page(request, slug):
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    use_process_language(request, process)
    agenda = selectors.process_agenda(process=process)
    # Each question's number as on its session's paper form (a Q&A round has none), in
    # the agenda and on its result: the number the council reads in the report.
    numbers = number_questions(q for session in agenda for q in session.questions.all())
    results = _published_results(process, numbers)
    # Each session's day planned and held: a session held on another day shows both.
    days = selectors.session_days(sessions=agenda)
    for session in [*agenda, *(group["session"] for group in results)]:
        session.day = days[session.pk]
    context = {
        "process": process,
        "agenda": agenda,
        "timeline": timeline_steps(process),
        "level_explanation": LEVEL_EXPLANATIONS.get(process.level),
        "levels": Level.choices,
        "follow_ups": selectors.process_follow_ups(process=process),
        "written_answers": selectors.written_answers(process=process, public=True),
        "results": results,
        **dossier_items(process),
    }
    return render(request, "public/process.html", context)


def _published_results(process: Process, numbers: dict[int, int]) -> list[dict]:
    """The sessions with questions whose results were shown or that are closed, each
    question shaped for the public page (``public_results``): plain words, sorted rows,
    a chart, a table and, for a closed statements question, the opinion map; each with
    its ``number`` of ``numbers`` (``numbering.agenda_numbers`` of the whole agenda)."""
    questions = [
        q
        for q in data.questions_of(process)
        if (q.results_revealed or q.state == QuestionState.CLOSED) and not q.evaluation
    ]
    sessions = public_results.sessions_with_results(questions, data.results_part(questions))
    for group in sessions:
        for item in group["items"]:
            item["number"] = numbers.get(item["question"].pk)
    return sessions


#: The check of the public log on one's own computer (Python 3, nothing to install), shown
#: on the log page: the same rules as ``logchain.entry_hash``.
CHECK_SCRIPT = """python3 - <<'END'
import hashlib, json, urllib.parse, urllib.request
url, prev, n = "URL", "0" * 64, 0
while url:
    page = json.load(urllib.request.urlopen(url))
    for e in page["entries"]:
        n += 1
        assert e["seq"] == n and e["prev"] == prev, f"entry {n}: the chain is broken"
        body = {k: e[k] for k in ("seq", "at", "actor", "action", "data", "prev")}
        body.update(v=1, process=page["process"])
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        prev = hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert prev == e["hash"], f"entry {n}: its content does not match its hash"
    url = page["next"] and urllib.parse.urljoin(url, page["next"])
print(n, "entries OK, head", prev)
END"""


def process_log(request, slug):
    """The transparency log, for anyone: every entry's time, actor (staff by their role on
    the process, not their name), action and hash, newest first, a page at a time, with the
    chain head to compare an export against."""
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    use_process_language(request, process)
    page = Paginator(selectors.process_log(process=process).order_by("-seq"), 100).get_page(
        request.GET.get("page")
    )
    page.object_list = list(page.object_list)  # the rows the template shows, annotated
    _name_staff_by_role(process, page.object_list)
    for entry in page.object_list:
        entry.words = describe(entry.action)
    entries_url = request.build_absolute_uri(reverse("public:log_entries", args=[process.slug]))
    head = checkpoints.head_sign(process, fresh=False)
    context = {
        "process": process,
        "page": page,
        "head": head,
        # The signed time is text (as signed, in UTC): as a time, the page writes it as
        # it writes the entries' times.
        "head_at": parse_datetime(head.at) if head else None,
        "signing_key": checkpoints.public_key(),
        "log_check": {
            "process": process.slug,
            "seq": process.log_seq,
            "head": process.log_head,
            "url": reverse("public:log_entries", args=[process.slug]),
            "strings": log_check_strings(),
        },
        "entries_url": entries_url,
        "check_script": CHECK_SCRIPT.replace("URL", entries_url),
    }
    return render(request, "public/log.html", context)


#: The most entries one request of ``log_entries`` gives; ``next`` names the following page.
LOG_JSON_PAGE = 1000


def process_log_entries(request, slug):
    """The log's entries as they are hashed (``at`` in UTC, the stored actor and data), in
    order, at most ``LOG_JSON_PAGE`` a request: for checking the chain anywhere, in the
    browser (``static/js/verify-log.js``) or with a short script. ``after`` is the last
    ``seq`` already read; ``upto`` fixes the end (the head a reader compares with), at
    most the process's current head, so entries appended meanwhile wait for the next
    check."""
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    head_seq = process.log_seq
    after = _whole(request.GET.get("after"), 0, head_seq)
    upto = _whole(request.GET.get("upto"), head_seq, head_seq)
    last = min(after + LOG_JSON_PAGE, upto)
    entries = selectors.log_chain_page(process=process, after=after, upto=last)
    more = last < upto
    following = f"{reverse('public:log_entries', args=[slug])}?after={last}&upto={upto}"
    body = {
        "format": "inspraak.log-entries/1",
        "process": process.slug,
        "head": {"seq": head_seq, "hash": process.log_head or None},
        "upto": upto,
        "entries": entries,
        "next": following if more else None,
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")),
        content_type="application/json; charset=utf-8",
    )
    response["Access-Control-Allow-Origin"] = "*"  # public data, for anyone's checker
    return response


def _whole(text: str | None, default: int, most: int) -> int:
    """A non-negative whole number from a query parameter, at most ``most``."""
    try:
        value = int(text) if text not in (None, "") else default
    except ValueError:
        value = default
    return max(0, min(value, most))


def process_heads(request, slug):
    """The signed tree heads of a process's log, newest first, with the public key: what
    a clerk or a journalist saves now, to prove a rewrite later (``verify_log
    --consistency``)."""
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    checkpoints.head_sign(process, fresh=False)
    found = [head.as_json() for head in checkpoints.heads(process, limit=1000)]
    return JsonResponse(
        {"signing_key": checkpoints.public_key(), "tree_heads": found[::-1]},
        json_dumps_params={"ensure_ascii": False, "indent": 1},
    )


@require_http_methods(["GET", "POST"])
def receipt_check(request, slug):
    """A participant's receipt checked: the answer is in the log, whether it counts, and
    its inclusion proof against a signed head (also as a file to keep). The code is
    posted, never put in an address, and not stored."""
    process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
    use_process_language(request, process)
    context = {"process": process, "code": "", "checked": None, "error": ""}
    status = 200
    if request.method == "POST":
        code = request.POST.get("code", "")[:64]
        context["code"] = receipt_shown(code) if code.strip() else ""
        if not code.strip():
            context["error"] = _("Type the code from your receipt first.")
            status = 400
        elif not receipts.check_allowed(request.META.get("REMOTE_ADDR", "")):
            context["error"] = _(
                "Too many checks from this network just now. Try again in a minute."
            )
            status = 429
        else:
            checked = receipts.receipt_check(process, code)
            if checked is None and receipts.paper_waiting(process, code):
                context["waiting"] = True
            elif checked is None:
                context["error"] = _(
                    "No answer in this process has that receipt. Check the code, and "
                    "that it belongs to this process."
                )
                status = 404
            elif request.POST.get("download"):
                response = HttpResponse(
                    json.dumps(checked.as_json(), ensure_ascii=False, indent=1),
                    content_type="application/json; charset=utf-8",
                )
                name = f"{process.slug}-receipt-{checked.entry.seq}.json"
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                return response
            context["checked"] = checked
            if checked is not None and checked.head:
                # The signed time, written as the log page writes it.
                context["head_at"] = parse_datetime(checked.head["at"])
    return render(request, "public/check.html", context, status=status)


def _name_staff_by_role(process: Process, entries) -> None:
    """Give each entry a ``staff_role`` for the public page: for a ``staff:<username>``
    actor, that account's role on ``process`` now (``"staff"`` without one, for example
    when it was revoked), else ``""``. The public page shows roles, never user names; the
    stored actor (which the hash covers) is left as it is. One query for the page."""
    usernames = {
        entry.actor.removeprefix(STAFF_PREFIX)
        for entry in entries
        if entry.actor.startswith(STAFF_PREFIX)
    }
    roles: dict[str, str] = {}
    held = StaffRole.objects.filter(process=process, user__username__in=usernames).values_list(
        "user__username", "role"
    )
    for username, role in sorted(held, key=lambda row: ROLE_ORDER.index(row[1])):
        roles.setdefault(username, role)
    for entry in entries:
        if entry.actor.startswith(STAFF_PREFIX):
            entry.staff_role = roles.get(entry.actor.removeprefix(STAFF_PREFIX), "staff")
        else:
            entry.staff_role = ""
