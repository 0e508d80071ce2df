"""Structured logs: JSON lines with the request's id, and nothing personal in them (no
address, no path with a phone's code, no typed text), from the test client and from a
real Daphne's whole output."""

from __future__ import annotations

import http.cookiejar
import io
import json
import logging
import re
import time
import urllib.parse
import urllib.request

import pytest
from django.urls import reverse

from bench.stack import launch_daphne, stop_daphne
from config.logging import (
    ContextFilter,
    JSONFormatter,
    PrivacyFilter,
    TextFormatter,
    log_format_default,
    logging_config,
)
from sessions_app.models import Response
from sessions_app.services.facilitation import question_open
from sessions_app.services.processes import process_publish
from tests.ops.conftest import process_env

#: What people typed: none of it may reach a log.
TYPED_TEXT = "Mijn buurman Jansen op nummer 12 parkeert altijd op de stoep"
TYPED_USER = "wethouder.devries"
TYPED_PASSWORD = "Geheim-wachtwoord-8311"
ANSWER_ID = "proxy-0123456789abcdef"
ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|::1\b|\[::")


@pytest.fixture
def open_text_session(organiser, live_session, make_question):
    question = make_question("open_text")
    process_publish(user=organiser, process=live_session.process)
    question_open(user=organiser, question=question)
    live_session.refresh_from_db()
    return live_session, question


@pytest.fixture
def json_log():
    """Every record, through the filters and formatter settings give the console handler."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(PrivacyFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def assert_nothing_personal(text: str, *also: str) -> None:
    assert not ADDRESS.search(text), ADDRESS.search(text)
    for typed in (TYPED_TEXT, TYPED_USER, TYPED_PASSWORD, *also):
        assert typed not in text


def test_a_phone_answer_and_a_failed_login_leave_json_lines_with_ids(
    client, open_text_session, json_log
):
    session, question = open_text_session
    client.cookies["django_language"] = "en"
    client.post(reverse("participate:join", args=[session.join_code]))
    page = client.get(reverse("participate:phone", args=[session.join_code])).content.decode()
    form_id = re.search(r'name="form_id" value="([^"]+)"', page).group(1)
    json_log.truncate(0)
    json_log.seek(0)
    answered = client.post(
        reverse("participate:answer", args=[session.join_code, question.pk]),
        {"text": TYPED_TEXT, "form_id": form_id},
        HTTP_X_REQUEST_ID=ANSWER_ID,
    )
    refused = client.post(
        reverse("login"),
        {"username": TYPED_USER, "password": TYPED_PASSWORD},
        HTTP_X_REQUEST_ID="<script>alert(1)</script>",  # not a token: a new id instead
    )
    assert answered.status_code == 302 and refused.status_code == 200
    assert answered["X-Request-ID"] == ANSWER_ID
    assert re.fullmatch(r"[0-9a-f]{32}", refused["X-Request-ID"])
    text = json_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    access = [line for line in lines if line["logger"] == "inspraak.access"]
    assert [(a["method"], a["route"], a["status"], a["request_id"]) for a in access] == [
        ("POST", "/j/<str:code>/answer/<int:question_id>/", 302, ANSWER_ID),
        ("POST", "/accounts/login/", 200, refused["X-Request-ID"]),
    ]
    assert all(line["request_id"] in {ANSWER_ID, refused["X-Request-ID"]} for line in lines)
    assert all(isinstance(a["duration_ms"], float) for a in access)
    assert_nothing_personal(text, session.join_code)


def test_the_privacy_filter_takes_out_paths_clients_and_addresses():
    from django.test import RequestFactory
    from django.urls import resolve

    request = RequestFactory().get("/j/ABCD23/answer/")
    request.resolver_match = resolve("/j/ABCD23/answer/")
    records = [
        logging.LogRecord(
            "django.request", logging.WARNING, "", 0, "%s: %s", ("Not Found", request.path), None
        ),
        logging.LogRecord(
            "axes.handlers",
            logging.WARNING,
            "",
            0,
            "AXES: login failure by %s",
            ("{username: 'jan'}",),
            None,
        ),
        logging.LogRecord(
            "daphne.server",
            logging.INFO,
            "",
            0,
            "from 10.1.2.3:5566, [2001:db8::7]:443 and ::1 at 10:00:01.5, version 4.2.3",
            None,
            None,
        ),
    ]
    records[0].request = request
    messages = []
    for record in records:
        assert PrivacyFilter().filter(record)
        messages.append(record.getMessage())
    assert messages == [
        "Not Found: /j/<str:code>/answer/",
        "AXES: login failure by -",
        "from [ip]:5566, [[ip]]:443 and [ip] at 10:00:01.5, version 4.2.3",
    ]
    assert records[0].request is None


def test_json_by_default_in_production_and_text_with_debug(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert (log_format_default(False), log_format_default(True)) == ("json", "text")
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert log_format_default(False) == "text"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(fmt="xml", level="INFO")
    record = logging.LogRecord("inspraak.jobs", logging.INFO, "", 0, "print done", None, None)
    record.job, record.job_id = "print", 7
    assert "INFO    inspraak.jobs [print#7] print done" in TextFormatter().format(record)


def _csrf(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


@pytest.mark.django_db(transaction=True)
def test_a_real_daphne_writes_only_json_lines_without_personal_data(
    open_text_session, tmp_path, settings
):
    from websockets.sync.client import connect

    session, question = open_text_session
    env = process_env(
        # DEBUG for static files without collectstatic; the log format is asked for.
        DEBUG="1",
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",
        ALLOWED_HOSTS="127.0.0.1",
        DAILY_TICK="0",
    )
    server = launch_daphne(env=env, directory=tmp_path)
    base = f"http://{server.url}"
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(path: str) -> str:
        return browser.open(base + path, timeout=30).read().decode()

    def post(path: str, data: dict, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(base + path, body, headers=headers or {})
        return browser.open(request, timeout=30)

    try:
        join = reverse("participate:join", args=[session.join_code])
        phone = post(join, {"csrfmiddlewaretoken": _csrf(get(join))}).read().decode()
        form_id = re.search(r'name="form_id" value="([^"]+)"', phone).group(1)
        answered = post(
            reverse("participate:answer", args=[session.join_code, question.pk]),
            {"csrfmiddlewaretoken": _csrf(phone), "text": TYPED_TEXT, "form_id": form_id},
            {"X-Request-ID": ANSWER_ID},
        )
        assert answered.status == 200  # the phone page, after the redirect
        login = reverse("login")
        refused = post(
            login,
            {
                "csrfmiddlewaretoken": _csrf(get(login)),
                "username": TYPED_USER,
                "password": TYPED_PASSWORD,
            },
        )
        assert refused.status == 200 and refused.headers["X-Request-ID"]
        cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
        with connect(
            f"ws://{server.url}/ws/s/{session.join_code}/",
            additional_headers={"Origin": base, "Cookie": cookies, "X-Request-ID": "ws-0123456789"},
        ) as socket:
            socket.recv(timeout=10)
        assert json.loads(get("/healthz")) == {"status": "ok"}
        ready = json.loads(get("/readyz"))  # the channel layer's round trip on the server's loop
        assert ready["status"] == "ok", ready
        # The socket's line is written once the server has seen it close.
        deadline = time.monotonic() + 20
        while '"method": "WS"' not in server.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop_daphne(server)
    output = server.log.read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # JSON, all
    access = {
        (line["method"], line["route"]): line
        for line in lines
        if line["logger"] == "inspraak.access"
    }
    answer_line = access["POST", "/j/<str:code>/answer/<int:question_id>/"]
    assert (answer_line["request_id"], answer_line["status"]) == (ANSWER_ID, 302)
    login_line = access["POST", "/accounts/login/"]
    assert (login_line["request_id"], login_line["status"]) == (
        refused.headers["X-Request-ID"],
        200,
    )
    assert access["WS", "/ws/s/<str:code>/"]["request_id"] == "ws-0123456789"
    assert ("GET", "/healthz") not in access and ("GET", "/readyz") not in access
    assert_nothing_personal(output, session.join_code)
    assert any(line["logger"].startswith("daphne") for line in lines)  # its own lines too
    assert Response.objects.filter(question=question, status="counted").count() == 1
