"""Reading a Polis conversation export (``comments.csv``, ``votes.csv`` and, if there,
``summary.csv``), checked line by line. Nothing here touches the database: a file that
does not read cleanly is refused with the file, the line and the problem, before anything
is created.

The formats are Polis's own (see ``tests/data/polis/`` for two real ones): votes are 1 agree,
-1 disagree, 0 pass; a comment's ``moderated`` is 1 accepted, 0 not moderated, -1
moderated out; timestamps are milliseconds since 1970 (Polis's older exporter; its newer
one writes seconds, told apart by size). ``is-meta`` and ``is-seed`` (1/0, true/false),
which Polis's comments carry but its CSV exports leave out, are read when a file has them.

The files are streamed: read a line at a time and hashed as they are read, so that a
conversation of any size is read in memory that grows with its votes, not its text.
There is no limit on the number of comments.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.utils.translation import gettext_lazy as _

TEXT_MAX = 500  # an Option's text
#: Progress is told every this many rows.
PROGRESS_ROWS = 50_000
#: The columns of Polis's comments.csv and votes.csv, in its order.
COMMENT_COLUMNS = (
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
)
VOTE_COLUMNS = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
VOTES = {"1": 1, "-1": -1, "0": 0}
MODERATION = {"1": 1, "0": 0, "-1": -1}


PROBLEMS = {
    "not_folder": _("not a folder"),
    "missing_file": _("the file is missing"),
    "unreadable": _("the file cannot be read"),
    "not_utf8": _("not UTF-8 text"),
    "not_csv": _("not CSV (%(detail)s)"),
    "missing_columns": _("missing column(s): %(columns)s"),
    "wrong_fields": _("wrong number of fields"),
    "not_number": _("%(column)s must be a whole number, not “%(value)s”"),
    "bad_time": _("the timestamp is out of range: “%(value)s”"),
    "comment_twice": _("comment %(id)s appears twice"),
    "bad_moderated": _("moderated must be 1, 0 or -1, not “%(value)s”"),
    "no_text": _("comment %(id)s has no text"),
    "too_long": _("comment %(id)s is longer than %(max)s characters"),
    "no_comments": _("there are no comments"),
    "bad_flag": _("%(column)s must be 1, 0, true or false, not “%(value)s”"),
    "unknown_comment": _("comment %(id)s is not in comments.csv"),
    "bad_vote": _("vote must be 1, -1 or 0, not “%(value)s”"),
    "negative_voter": _("voter-id must not be negative, not %(value)s"),
}


class PolisFormatError(Exception):
    """A Polis export that cannot be imported: ``file``, ``line`` (0: the file as a
    whole), ``code`` (a key of ``PROBLEMS``) and the problem in words."""

    def __init__(self, file: str, line: int, code: str, **params):
        self.file, self.line, self.code, self.params = file, line, code, params
        super().__init__(code)

    @property
    def problem(self) -> str:
        return str(PROBLEMS[self.code]) % self.params if self.params else str(PROBLEMS[self.code])

    def __str__(self) -> str:
        if self.line:
            return _("%(file)s, line %(line)d: %(problem)s") % {
                "file": self.file,
                "line": self.line,
                "problem": self.problem,
            }
        return f"{self.file}: {self.problem}"


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    moderated: int
    at: datetime
    #: a comment about the conversation itself: Polis leaves it out of the groups
    meta: bool = False
    #: written by the conversation's owners to start it off
    seed: bool = False


@dataclass(frozen=True)
class Vote:
    at: datetime
    comment: int
    voter: int
    vote: int


@dataclass(frozen=True)
class Conversation:
    topic: str
    description: str
    url: str
    comments: tuple[Comment, ...]
    #: in the order they were given (by time; the file's order among equal times)
    votes: tuple[Vote, ...]
    #: file name → SHA-256 of its bytes, for the log
    digests: dict[str, str]


#: Polis's flags as its comments carry them.
FLAGS = {"1": True, "0": False, "true": True, "false": False, "t": True, "f": False, "": False}


class _Hashed(io.RawIOBase):
    """A file's bytes as they are read, each passed through ``digest`` on the way."""

    def __init__(self, handle, digest):
        self.handle, self.digest = handle, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.handle.readinto(buffer)
        if count:
            self.digest.update(memoryview(buffer)[:count])
        return count or 0


def _rows(directory: Path, name: str, required: tuple[str, ...], digests: dict):
    """(line, row) of a CSV file, read a line at a time; its SHA-256 is in ``digests``
    once it has been read to the end."""
    path = directory / name
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise PolisFormatError(name, 0, "missing_file") from None
    except OSError:
        raise PolisFormatError(name, 0, "unreadable") from None
    digest = hashlib.sha256()
    with handle:
        text = io.TextIOWrapper(
            io.BufferedReader(_Hashed(handle, digest)), encoding="utf-8-sig", newline=""
        )
        reader = csv.DictReader(text)
        try:
            header = reader.fieldnames or []
            missing = [column for column in required if column not in header]
            if missing:
                raise PolisFormatError(name, 1, "missing_columns", columns=", ".join(missing))
            for row in reader:
                if None in row or any(row.get(c) is None for c in required):
                    raise PolisFormatError(name, reader.line_num, "wrong_fields")
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise PolisFormatError(name, reader.line_num + 1, "not_utf8") from None
        except csv.Error as error:
            raise PolisFormatError(name, reader.line_num, "not_csv", detail=str(error)) from None
        except OSError:
            raise PolisFormatError(name, 0, "unreadable") from None
    digests[name] = digest.hexdigest()


def _int(name: str, line: int, column: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise PolisFormatError(name, line, "not_number", column=column, value=value) from None


#: A timestamp above this is in milliseconds (Polis's older exporter), at or below it in
#: seconds (its newer one): 10^11 seconds is the year 5138, 10^11 ms is 1973.
MILLISECONDS_FROM = 10**11


def _time(name: str, line: int, value: str) -> datetime:
    stamp = _int(name, line, "timestamp", value)
    try:
        seconds = stamp / 1000 if abs(stamp) > MILLISECONDS_FROM else stamp
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise PolisFormatError(name, line, "bad_time", value=value) from None


def _flag(name: str, line: int, column: str, row: dict) -> bool:
    value = (row.get(column) or "").strip().lower()
    if value not in FLAGS:
        raise PolisFormatError(name, line, "bad_flag", column=column, value=row[column])
    return FLAGS[value]


def read_conversation(directory: Path, *, on_progress=None) -> Conversation:
    """The conversation in ``directory``; raises ``PolisFormatError`` on the first
    problem found. ``on_progress(file, rows)`` is called every ``PROGRESS_ROWS`` rows and
    at the end of each file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PolisFormatError(str(directory), 0, "not_folder")
    digests: dict[str, str] = {}
    comments: dict[int, Comment] = {}
    name = "comments.csv"
    for line, row in _rows(
        directory, name, ("timestamp", "comment-id", "moderated", "comment-body"), digests
    ):
        cid = _int(name, line, "comment-id", row["comment-id"])
        if cid in comments:
            raise PolisFormatError(name, line, "comment_twice", id=cid)
        moderated = MODERATION.get(row["moderated"].strip())
        if moderated is None:
            raise PolisFormatError(name, line, "bad_moderated", value=row["moderated"])
        body = row["comment-body"].strip()
        if not body:
            raise PolisFormatError(name, line, "no_text", id=cid)
        if len(body) > TEXT_MAX:
            raise PolisFormatError(name, line, "too_long", id=cid, max=TEXT_MAX)
        comments[cid] = Comment(
            cid,
            body,
            moderated,
            _time(name, line, row["timestamp"]),
            meta=_flag(name, line, "is-meta", row),
            seed=_flag(name, line, "is-seed", row),
        )
        if on_progress is not None and len(comments) % PROGRESS_ROWS == 0:
            on_progress(name, len(comments))
    if not comments:
        raise PolisFormatError(name, 0, "no_comments")
    if on_progress is not None:
        on_progress(name, len(comments))

    # Compact while reading (a tuple of numbers a vote); Votes are made once sorted.
    read: list[tuple[datetime, int, int, int, int]] = []
    name = "votes.csv"
    for line, row in _rows(
        directory, name, ("timestamp", "comment-id", "voter-id", "vote"), digests
    ):
        cid = _int(name, line, "comment-id", row["comment-id"])
        if cid not in comments:
            raise PolisFormatError(name, line, "unknown_comment", id=cid)
        vote = VOTES.get(row["vote"].strip())
        if vote is None:
            raise PolisFormatError(name, line, "bad_vote", value=row["vote"])
        voter = _int(name, line, "voter-id", row["voter-id"])
        if voter < 0:
            raise PolisFormatError(name, line, "negative_voter", value=voter)
        at = _time(name, line, row["timestamp"])
        read.append((at, line, cid, voter, vote))
        if on_progress is not None and len(read) % PROGRESS_ROWS == 0:
            on_progress(name, len(read))
    if on_progress is not None:
        on_progress(name, len(read))
    read.sort()

    summary: dict[str, str] = {}
    if (directory / "summary.csv").exists():
        raw = (directory / "summary.csv").read_bytes()
        digests["summary.csv"] = hashlib.sha256(raw).hexdigest()
        for row in csv.reader(io.StringIO(raw.decode("utf-8-sig", errors="replace"))):
            if len(row) >= 2:
                summary[row[0].strip()] = row[1].strip()
    return Conversation(
        topic=summary.get("topic", "") or directory.name,
        description=summary.get("conversation-description", ""),
        url=summary.get("url", ""),
        comments=tuple(sorted(comments.values(), key=lambda c: c.id)),
        votes=tuple(Vote(at, cid, voter, vote) for at, _line, cid, voter, vote in read),
        digests=digests,
    )
