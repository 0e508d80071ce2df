"""Import of design files (``inspraak.process/1``). Export is ``design.process_to_dict``.

A file is checked completely before anything is written: first against the published JSON
Schema (``docs/process-format.schema.json``), then against the design rules. Every problem
is reported with its path, e.g. ``sessions[0].questions[3].options: a ranking needs at
least 2 options``.

The dossier travels as metadata, never as files: its links are created, and a document
only when this installation already keeps a file with its SHA-256 that the importer may
see already (``dossier.kept_file``); the others are named by ``documents_to_upload``, for the organiser to upload on the
dossier page. Such a missing file never fails the import.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from jsonschema import Draft202012Validator

from sessions_app.design import (
    FORMAT,
    is_moment,
    milestone_specs_from,
    panel_specs_from,
    process_spec_from,
    question_spec_from,
    session_spec_from,
)
from sessions_app.exceptions import (
    ERROR_MESSAGES,
    DesignError,
    InputRejected,
    Problem,
    params_of,
)
from sessions_app.models import Process
from sessions_app.rules import (
    COMMON_QUESTION_FIELDS,
    KIND_FIELDS,
    milestone_problems,
    panel_problems,
    process_problems,
    question_problems,
    session_problems,
)

from . import dossier
from .live_sessions import live_session_create
from .log import actor_for, log_append
from .processes import process_create
from .questions import question_create

SCHEMA_PATH = settings.BASE_DIR / "docs" / "process-format.schema.json"
MAX_FILE_BYTES = 2 * 1024 * 1024

TYPE_NAMES = {
    "string": _("text"),
    "integer": _("a whole number"),
    "number": _("a number"),
    "boolean": _("true or false"),
    "array": _("a list"),
    "object": _("an object"),
    "null": _("empty"),
}


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        schema = json.load(handle)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def json_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _schema_error_problems(error) -> list[Problem]:
    """Turn a JSON Schema error into problems with translated, plain messages."""
    path = json_path(error.absolute_path)
    kind, value = error.validator, error.validator_value
    if kind == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [
            Problem(_join(path, name), "required", _("is required"))
            for name in value
            if name not in present
        ]
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        return [
            Problem(_join(path, name), "unknown_field", _("is not a field of this format"))
            for name in error.instance
            if name not in known
        ]
    if kind == "type":
        names = [str(TYPE_NAMES[name]) for name in ([value] if isinstance(value, str) else value)]
        type_name = names[0]
        for name in names[1:]:
            type_name = pgettext_lazy("one type or another", "%(first)s or %(second)s") % {
                "first": type_name,
                "second": name,
            }
        return [Problem(path, "wrong_type", _("must be %(type)s"), {"type": type_name})]
    if kind == "enum":
        values = ", ".join(str(v) for v in value)
        return [Problem(path, "not_allowed", _("must be one of: %(values)s"), {"values": values})]
    if kind == "const":
        return [Problem(path, "wrong_value", _("must be “%(value)s”"), {"value": value})]
    if kind == "minLength":
        return [Problem(path, "required", _("must not be empty"))]
    if kind == "maxLength":
        return [Problem(path, "too_long", _("is longer than %(max)d characters"), {"max": value})]
    if kind == "minimum":
        return [Problem(path, "too_small", _("must be at least %(min)s"), {"min": value})]
    if kind == "maximum":
        return [Problem(path, "too_large", _("must be at most %(max)s"), {"max": value})]
    if kind == "maxItems":
        return [Problem(path, "too_many", _("may have at most %(max)d items"), {"max": value})]
    if kind == "pattern":
        if value == _validator().schema["$defs"]["date_time"]["pattern"]:
            return [
                Problem(
                    path,
                    "wrong_format",
                    _("must be a date and time like 2027-01-15T19:30:00+01:00"),
                )
            ]
        return [Problem(path, "wrong_format", _("has the wrong format"))]
    if kind == "format":
        template = (
            _("must be a date like 2027-03-01") if value == "date" else _("has the wrong format")
        )
        return [Problem(path, "wrong_format", template)]
    return [Problem(path, "invalid", _("is not valid here"))]


def _sort_key(error):
    return [
        (0, part, "") if isinstance(part, int) else (1, 0, part) for part in error.absolute_path
    ]


def schema_problems(data) -> list[Problem]:
    """Each structural problem once, in file order.

    The validator raises one "required" error per missing field, and each of them carries
    the whole list of required names; a problem is therefore only kept the first time.
    """
    problems: dict[tuple[str, str], Problem] = {}
    for error in sorted(_validator().iter_errors(data), key=_sort_key):
        # if/then wraps the kind-specific "required" in an allOf; report the inner error.
        for leaf in error.context or [error]:
            for problem in _schema_error_problems(leaf):
                problems.setdefault((problem.path, problem.code), problem)
    return list(problems.values())


def _touches(paths: set[str], prefix: str) -> bool:
    """Whether any schema problem lies at ``prefix`` or inside it."""
    return any(p == prefix or p.startswith((prefix + ".", prefix + "[")) for p in paths)


def design_file_problems(data) -> list[Problem]:
    """All problems of a parsed design file, in file order; empty if it can be imported.

    Structure (the JSON Schema) and design rules are both checked; the rules run on every
    part whose structure is sound, so one pass reports everything that is wrong.
    """
    problems = schema_problems(data)
    if not isinstance(data, dict):
        return problems
    broken = {p.path for p in problems}
    sound = {
        name: value
        for name, value in data.items()
        if name != "sessions" and not _touches(broken, name)
    }
    rule_problems = [
        p for p in process_problems(process_spec_from(sound)) if not _touches(broken, p.path)
    ]
    if not _touches(broken, "timeline"):
        rule_problems += milestone_problems(milestone_specs_from(data))
    rule_problems += dossier_problems(data, broken)
    panel_names: set[str] = set()
    if not _touches(broken, "panel"):
        rule_problems += panel_problems(panel_specs_from(data))
        # Compared trimmed, as the panel is kept (``process_create``).
        panel_names = {m["name"].strip() for m in data.get("panel", [])}
    sessions = data.get("sessions") if isinstance(data.get("sessions"), list) else []
    for index, session in enumerate(sessions):
        where = f"sessions[{index}]"
        if not isinstance(session, dict):
            continue
        session_fields_sound = (
            not any(
                _touches(broken, f"{where}.{name}")
                for name in ("title", "starts_at", "ends_at", "venue", "mode")
            )
            and where not in broken
        )
        if session_fields_sound:
            bad_times = [
                Problem(
                    f"{where}.{name}",
                    "wrong_format",
                    _("must be a date and time like 2027-01-15T19:30:00+01:00"),
                )
                for name in ("starts_at", "ends_at")
                if name in session and not is_moment(session[name])
            ]
            rule_problems += bad_times or [
                p.under(where) for p in session_problems(session_spec_from(session))
            ]
        questions = session.get("questions") if isinstance(session.get("questions"), list) else []
        for number, question in enumerate(questions):
            at = f"{where}.questions[{number}]"
            if _touches(broken, at):
                continue
            allowed = COMMON_QUESTION_FIELDS | KIND_FIELDS[question["kind"]]
            rule_problems += [
                Problem(
                    f"{at}.{name}",
                    "not_for_kind",
                    _("does not apply to a question of kind %(kind)s"),
                    {"kind": question["kind"]},
                )
                for name in question
                if name not in allowed
            ]
            rule_problems += [p.under(at) for p in question_problems(question_spec_from(question))]
            rule_problems += [
                Problem(
                    f"{at}.panel[{i}]",
                    "unknown_panel_member",
                    _("“%(text)s” is not on the panel of this process"),
                    {"text": name},
                )
                for i, name in enumerate(question.get("panel", []))
                if question["kind"] == "qna" and name.strip() not in panel_names
            ]
    return sorted(problems + rule_problems, key=lambda p: _path_key(p.path))


#: The field a dossier check's code is about.
DOSSIER_FIELDS = {
    "title_required": "title",
    "summary_required": "summary",
    "summary_too_long": "summary",
    "invalid_kind": "kind",
    "invalid_date": "date",
    "alt_text_required": "alt_text",
    "invalid_url": "url",
}


def dossier_problems(data: dict, broken: set[str] = frozenset()) -> list[Problem]:
    """The dossier's documents and links against the dossier's own checks
    (``dossier.document_fields``, ``dossier.link_fields``): a title, a summary in plain
    language, a known type, a web address, an image's alternative text. Items whose
    structure is broken are left to the schema's report."""
    part = data.get("dossier") if isinstance(data.get("dossier"), dict) else {}
    problems = []
    for name, check in (("documents", _document_check), ("links", _link_check)):
        items = part.get(name) if isinstance(part.get(name), list) else []
        for index, item in enumerate(items):
            where = f"dossier.{name}[{index}]"
            if _touches(broken, where) or not isinstance(item, dict):
                continue
            try:
                check(item)
            except InputRejected as refused:
                field = DOSSIER_FIELDS.get(refused.code)
                path = f"{where}.{field}" if field else where
                problems.append(
                    Problem(
                        path,
                        refused.code,
                        ERROR_MESSAGES[refused.code],
                        params_of(refused.code, refused.params),
                    )
                )
    return problems


def _document_check(item: dict) -> dict:
    return dossier.document_fields(
        title=item["title"],
        kind=item["kind"],
        day=item["date"],
        summary=item["summary"],
        alt_text=item.get("alt_text", ""),
        content_type=item["content_type"],
    )


def _link_check(item: dict) -> dict:
    return dossier.link_fields(
        title=item["title"], url=item["url"], day=item["date"], summary=item["summary"]
    )


def documents_to_upload(data: dict, user=None) -> list[dict]:
    """The documents of a (valid) design file's dossier whose file this installation does
    not keep, or keeps but not for ``user`` (``dossier.kept_file``): ``path``
    (``dossier.documents[0]``), ``title``, ``sha256`` and ``content_type``. An import
    leaves them out; the organiser uploads them on the new process's dossier page. Each
    file once, by its first entry (a dossier holds each file once, as ``_dossier_import``
    has it: a second upload of the same file would be refused)."""
    wanted, seen = [], set()
    for index, item in enumerate(data.get("dossier", {}).get("documents", [])):
        if item["sha256"] in seen:
            continue
        seen.add(item["sha256"])
        if dossier.kept_file(item["sha256"], item["content_type"], user=user) is None:
            wanted.append(
                {
                    "path": f"dossier.documents[{index}]",
                    "title": item["title"],
                    "sha256": item["sha256"],
                    "content_type": item["content_type"],
                }
            )
    return wanted


def _dossier_import(*, user, process: Process, data: dict) -> None:
    """The file's dossier, through the dossier's services (each item logged): every link,
    and every document whose file is kept here, once (a dossier holds each file once: a
    file that lists the same one twice gets its first)."""
    part = data.get("dossier", {})
    added = set()
    for item in part.get("documents", []):
        content = dossier.kept_file(item["sha256"], item["content_type"], user=user)
        if content is None:
            continue  # named by ``documents_to_upload``
        if item["sha256"] in added:
            continue
        added.add(item["sha256"])
        dossier.document_add(
            user=user,
            process=process,
            content=content,
            title=item["title"],
            kind=item["kind"],
            day=item["date"],
            summary=item["summary"],
            alt_text=item.get("alt_text", ""),
        )
    for item in part.get("links", []):
        dossier.link_add(
            user=user,
            process=process,
            title=item["title"],
            url=item["url"],
            day=item["date"],
            summary=item["summary"],
        )


def _path_key(path: str) -> list:
    """Sort paths in file order: ``sessions[2]`` before ``sessions[10]``."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.findall(r"[^.\[\]]+", path)
    ]


def load_design_file(raw: bytes) -> dict:
    """Parse the bytes of a design file. Raises ``DesignError("import_invalid")`` for a file
    that is too big, not UTF-8 or not JSON, naming the line and column."""
    if len(raw) > MAX_FILE_BYTES:
        raise DesignError(
            "import_invalid",
            problems=[
                Problem(
                    "",
                    "file_too_large",
                    _("the file is larger than %(max)d MB"),
                    {"max": MAX_FILE_BYTES // (1024 * 1024)},
                )
            ],
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        problem = Problem("", "not_utf8", _("the file is not UTF-8 text"))
    except RecursionError:  # nested deeper than the decoder goes
        problem = _too_deep()
    except json.JSONDecodeError as exc:
        problem = Problem(
            "",
            "not_json",
            # Without the parser's own words ("Expecting value"): they are English.
            _("the file is not valid JSON (line %(line)s, column %(column)s)"),
            {"line": exc.lineno, "column": exc.colno},
        )
    else:
        if _depth(data) <= MAX_DEPTH:
            return data
        problem = _too_deep()
    raise DesignError("import_invalid", problems=[problem])


#: A design nests a few levels (process, sessions, questions, options); far deeper is no
#: design, and would exhaust the checks that walk it.
MAX_DEPTH = 32


def _too_deep() -> Problem:
    return Problem(
        "", "too_deep", _("the file is nested more than %(max)d levels deep"), {"max": MAX_DEPTH}
    )


def _depth(data) -> int:
    """How deeply lists and objects nest in ``data`` (without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                break
            stack.extend(
                (child, depth + 1) for child in (node.values() if isinstance(node, dict) else node)
            )
    return deepest


def process_import(*, user, data) -> Process:
    """Create a draft process from a parsed design file, through the same services as the
    designer, so the log records every piece. ``user`` (if any) becomes its organiser.

    Raises ``DesignError("import_invalid")`` listing every problem; nothing is created then.
    The dossier's links are created, and its documents whose file is kept here; the rest
    are named by ``documents_to_upload(data, user)`` (the import does not fail for them).
    """
    problems = design_file_problems(data)
    if problems:
        raise DesignError("import_invalid", problems=problems)
    with transaction.atomic():
        process = process_create(
            user=user,
            spec=process_spec_from(data),
            milestones=milestone_specs_from(data),
            panel=panel_specs_from(data),
        )
        log_append(
            process=process,
            action="process.imported",
            actor=actor_for(user),
            data={"format": FORMAT},
        )
        for session_data in data.get("sessions", []):
            session = live_session_create(
                user=user, process=process, spec=session_spec_from(session_data)
            )
            for question_data in session_data.get("questions", []):
                spec = question_spec_from(question_data)
                # The panel is kept trimmed, so its names are referred to trimmed.
                spec = replace(spec, panel=[name.strip() for name in spec.panel])
                question_create(user=user, session=session, spec=spec)
        _dossier_import(user=user, process=process, data=data)
    return process
