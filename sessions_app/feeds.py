"""An Atom feed per process, so that people can follow it without an account: a meeting
held, results published, a follow-up posted, the council's decision, the process opened
or closed. Read from the
transparency log, so the feed says nothing the log does not. A written answer the panel
promised in a Q&A round is news too, once it is given.

Each item names what it is about, so that the feed alone can be followed: its question (in
the title) and the meeting that asked it (title, date and hours, venue: in the summary;
a meeting held on another day than planned by both days, as every output says it);
a meeting held names the meeting in its title. An item's id is its log entry's, and never
changes."""

from __future__ import annotations

from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed, add_domain
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from . import checkpoints
from .exports.report_text import session_when
from .models import (
    FollowUpOutcome,
    LiveSession,
    LogEntry,
    Moderation,
    Option,
    Process,
    ProcessState,
    Question,
)
from .selectors import session_days


def _follow_up_title(entry, q: str) -> str:
    outcome = dict(FollowUpOutcome.choices).get(entry.data.get("outcome"), "")
    if q:
        return _("What was done with the input on “%(question)s”: %(outcome)s") % {
            "question": q,
            "outcome": outcome,
        }
    return _("What was done with the input: %(outcome)s") % {"outcome": outcome}


#: The log actions that are news for the public, and how each is told: ``q`` is what the
#: item is about, the question's text (a meeting held: the meeting's title), or "".
NEWS = {
    "process.published": lambda entry, q: _("The process has started"),
    "session.ended": lambda entry, q: (
        _("A meeting was held: %(meeting)s") % {"meeting": q} if q else _("A meeting was held")
    ),
    "results.revealed": lambda entry, q: _("Results published: %(question)s") % {"question": q},
    "follow_up.recorded": _follow_up_title,
    "process.closed": lambda entry, q: _("The process is closed"),
    "process.decided": lambda entry, q: _("The council decided"),
    # only the written answers (``mode`` ``written``): see ``ProcessFeed.items``
    "qna.answered": lambda entry, q: _("Written answer: %(question)s") % {"question": q},
}
LIMIT = 50


def asked_shown(entries) -> dict[int, str]:
    """The texts of the questions to the panel that the ``qna.answered`` ``entries``
    answer, by id: only the approved ones (a question hidden by moderation after it was
    answered, or never approved, keeps its text off the news), an erased one as ""."""
    asked = {e.data.get("asked") for e in entries if e.action == "qna.answered"}
    return dict(
        Option.objects.filter(pk__in=asked, moderation=Moderation.APPROVED).values_list(
            "pk", "text"
        )
    )


def written_answer_title(entry, shown: dict[int, str]) -> str:
    """The news of a written answer (``shown``: ``asked_shown``): the question it
    answers when that is public, else a wording without it."""
    asked = entry.data.get("asked")
    if asked not in shown:
        return _("The panel's answer to a question was recorded.")
    return str(NEWS["qna.answered"](entry, shown[asked] or _("(text erased)")))


def meeting_words(session: LiveSession) -> str:
    """A meeting as the feed names it: ``Meeting: Eerste avond, 15 januari 2027,
    19:30-21:30, Stadhuis`` (its title; date and hours as the report writes them, with an
    en dash; its venue). A meeting held on another day than planned is dated by both days
    (``report_text.session_when``): ``Meeting: Eerste avond, gepland 15 januari 2027,
    gehouden 22 januari 2027, Stadhuis``. Its day is ``session.day`` when
    ``entry_subjects`` set it, else read here."""
    day = getattr(session, "day", None) or session_days(sessions=[session])[session.pk]
    held = day.held.isoformat() if day.held else None
    words = session_when(
        {"starts_at": session.starts_at, "ends_at": session.ends_at, "held_on": held}
    )
    parts = [session.title, words, session.venue]
    return _("Meeting: %(meeting)s") % {"meeting": ", ".join(part for part in parts if part)}


def entry_subjects(process: Process, entries) -> dict[int, tuple]:
    """What each of ``entries`` (log entries of ``process``) is about, by ``seq``: its
    question (one of this process's, else None) and the meeting that asked it (for a
    meeting's own entry, that meeting; else None)."""
    wanted = {(e.data or {}).get("question") for e in entries} - {None}
    questions = {q.pk: q for q in Question.objects.filter(pk__in=wanted, session__process=process)}
    meetings = {s.pk: s for s in process.sessions.all()}
    # Each meeting's day planned and held (``meeting_words``), in one query.
    for pk, day in session_days(sessions=meetings.values()).items():
        meetings[pk].day = day
    found = {}
    for entry in entries:
        data = entry.data or {}
        question = questions.get(data.get("question"))
        meeting = meetings.get(question.session_id if question else data.get("session"))
        found[entry.seq] = (question, meeting)
    return found


def news_words(entry, question, meeting, shown: dict[int, str]) -> tuple[str, str]:
    """How the feed tells ``entry``: its title, naming its question (a meeting held: the
    meeting), and its summary: the meeting (``meeting_words``) and the entry's own text
    (a follow-up's reasoning, a decision's summary, a written answer), a blank line
    between them. ``question`` and ``meeting`` as ``entry_subjects`` finds them,
    ``shown`` as ``asked_shown``. The news mail tells these entries in the same words."""
    data = entry.data or {}
    about = meeting_words(meeting) if meeting else ""
    if entry.action == "qna.answered":
        title = written_answer_title(entry, shown)
        lines = [
            _("Question round: %(question)s") % {"question": question.text} if question else "",
            about,
            data.get("text", ""),
        ]
    elif entry.action == "session.ended":
        title = str(NEWS[entry.action](entry, meeting.title if meeting else ""))
        lines = [about]
    else:
        title = str(NEWS[entry.action](entry, question.text if question else ""))
        detail = {
            "follow_up.recorded": data.get("reasoning", ""),
            "process.decided": data.get("summary", ""),
        }.get(entry.action, "")
        lines = [about, detail]
    return title, "\n\n".join(line for line in lines if line)


#: The namespace of the feed's signed tree head (``docs/transparency-log.md``).
NAMESPACE = "https://inspraak.example/ns/transparency"


class TextAtomFeed(Atom1Feed):
    """Atom whose summaries are plain text. Django marks them ``type="html"``, which tells
    a feed reader to render a question's or a follow-up's text as markup: ``<b>`` in a
    question would be bold there, a ``<script>`` a script."""

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:inspraak": NAMESPACE}

    def add_root_elements(self, handler):
        """The log's latest signed tree head, so a feed reader's archive keeps the heads."""
        super().add_root_elements(handler)
        head = self.feed.get("tree_head")
        if head:
            handler.addQuickElement(
                "inspraak:treeHead",
                None,
                {
                    "size": str(head["size"]),
                    "root": head["root"],
                    "at": head["at"],
                    "keyId": head["key_id"],
                    "signature": head["signature"],
                },
            )

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item.get("description"):
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class ProcessFeed(Feed):
    feed_type = TextAtomFeed

    def get_object(self, request, slug):
        process = get_object_or_404(Process.objects.exclude(state=ProcessState.DRAFT), slug=slug)
        translation.activate(process.language)
        # Atom ids must be absolute IRIs: made on the host the feed's links are made on
        # (``Feed.get_feed``), on this request's copy of the process.
        process.feed_url_base = add_domain(
            get_current_site(request).domain, process.get_absolute_url(), request.is_secure()
        )
        return process

    def title(self, process):
        return process.title

    def feed_extra_kwargs(self, process):
        head = checkpoints.head_sign(process, fresh=False)
        return {"tree_head": head.as_json() if head else None}

    def subtitle(self, process):
        return _(
            "News of this participation process: meetings, results and what was done with them."
        )

    def link(self, process):
        return process.get_absolute_url()

    def feed_url(self, process):
        return reverse("public:feed", args=[process.slug])

    def items(self, process):
        news = Q(action__in=set(NEWS) - {"qna.answered"}) | Q(
            action="qna.answered", data__mode="written"
        )
        entries = list(LogEntry.objects.filter(news, process=process).order_by("-seq")[:LIMIT])
        subjects = entry_subjects(process, entries)
        shown = asked_shown(entries)
        # Per item, not on the feed object: one feed object serves every request.
        for entry in entries:
            entry.process = process
            entry.title, entry.summary = news_words(entry, *subjects[entry.seq], shown)
        return entries

    def item_title(self, entry):
        return entry.title

    def item_description(self, entry):
        return entry.summary

    def item_link(self, entry):
        anchor = (
            "follow-up"
            if entry.action in ("follow_up.recorded", "qna.answered")
            else "dossier"
            if entry.action == "process.decided"
            else "results"
        )
        return f"{entry.process.get_absolute_url()}#{anchor}"

    def item_guid(self, entry):
        return f"{entry.process.feed_url_base}log/{entry.seq}"

    item_guid_is_permalink = False

    def item_pubdate(self, entry):
        return entry.created_at

    def item_updateddate(self, entry):
        return entry.created_at
