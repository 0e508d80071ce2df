"""The live session end to end through nginx with TLS, configured with the site file of
``deploy/`` itself, in front of two Daphne processes (PostgreSQL + Redis) or one (SQLite):
secure cookies, CSRF over TLS, websockets upgraded by nginx, static files, body limits
and buffering, health checks and an access log without personal data.

Which process served what is read from nginx's access log (``upstream=``) and checked
against the Daphne's own log through the request id nginx hands on (``X-Request-ID``)."""

from __future__ import annotations

import http.client
import json
import re
import secrets
import subprocess
import sys
import time

import pytest
from django.conf import settings
from playwright.async_api import expect

from tests.conftest import PASSWORD
from tests.deploy.conftest import DEPLOY, free_port
from tests.e2e.test_live_session import join, town_hall  # noqa: F401 - a fixture

pytestmark = [pytest.mark.e2e]


def https(proxied, method: str, path: str, *, headers=None, body: bytes | None = None):
    """One request to nginx over TLS (the run's certificate trusted): status, headers,
    body."""
    connection = http.client.HTTPSConnection(
        "localhost", proxied.https_port, context=proxied.tls(), timeout=30
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):
    """Poll ``condition`` (nginx writes a line when a request ends, Daphne when a socket
    closes) until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def logged(proxied, path: str, count: int = 1) -> list[dict]:
    """nginx's access-log entries for ``path``, once there are ``count`` of them."""
    return wait_for(
        lambda: (
            (found := [e for e in proxied.access_entries() if e["path"] == path])
            and len(found) >= count
            and found
        ),
        what=f"{count} line(s) for {path} in nginx's access log",
    )


@pytest.fixture
def tls_browser(browser):
    """The browser, with every new context accepting the run's self-signed certificate
    and every page's websockets recorded as (page, URL)."""
    sockets: list = []
    new_context = browser.new_context

    async def accepting_context(*args, **kwargs):
        kwargs.setdefault("ignore_https_errors", True)
        context = await new_context(*args, **kwargs)
        context.on(
            "page", lambda page: page.on("websocket", lambda ws: sockets.append((page, ws.url)))
        )
        return context

    browser.new_context = accepting_context
    browser.sockets = sockets
    return browser


async def open_page(browser, url: str, **options):
    context = await browser.new_context(locale="nl-NL", **options)
    context.set_default_timeout(10_000)
    page = await context.new_page()
    response = await page.goto(url)
    return page, response


@pytest.mark.django_db(transaction=True)
async def test_a_live_question_through_nginx_with_tls(tls_browser, proxied, town_hall):  # noqa: F811
    session, question, console_path = town_hall
    code = session.join_code
    base = proxied.origin
    wss = f"wss://localhost:{proxied.https_port}"

    presenter, _ = await open_page(
        tls_browser, f"{base}/present/{code}/", viewport={"width": 1600, "height": 900}
    )
    await expect(presenter.locator(".join-code")).to_have_text(code)

    # A member of staff signs in over TLS: session and CSRF cookies are Secure.
    console, _ = await open_page(tls_browser, f"{base}/accounts/login/")
    await console.get_by_label("Gebruikersnaam").fill("fenna")
    await console.get_by_label("Wachtwoord").fill(PASSWORD)
    await console.get_by_role("button", name="Inloggen").click()
    await expect(console).not_to_have_url(re.compile("/accounts/login/"))
    cookies = {c["name"]: c for c in await console.context.cookies()}
    session_cookie = cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["secure"] and session_cookie["httpOnly"]
    assert cookies[settings.CSRF_COOKIE_NAME]["secure"]
    await console.goto(f"{base}{console_path}")
    await expect(console.locator("#console-status")).to_have_text("Live")

    # Two phones. least_conn gives the presenter's and the console's sockets to different
    # processes (or both to one, then the first phone to the other), and then the two
    # phones one each: some phone is on the other process than the presenter.
    phones = [await join(tls_browser, base, code) for _ in range(2)]

    # The console opens the question; both phones answer over wss; the presenter's total
    # (whichever process it is on, through Redis) follows, and so does the revealed result.
    await console.keyboard.press("n")
    await expect(console.locator(f"#q-{question.pk} [data-field=on-screen]")).to_be_visible()
    await console.keyboard.press("o")
    await expect(presenter.locator("#stage-state")).to_have_text("open")
    for phone, choice in zip(phones, ("Groen", "Blauw"), strict=True):
        await expect(phone.get_by_role("heading", name=question.text)).to_be_visible()
        await phone.get_by_label(choice).check()
        await phone.get_by_role("button", name="Antwoord versturen").click()
        await expect(phone.locator(f"#question-{question.pk} .answer-status")).to_contain_text(
            "Uw antwoord is geteld."
        )
    await expect(presenter.locator("#stage-results")).to_contain_text("Antwoorden: 2")
    await console.keyboard.press("r")
    rows = presenter.locator("#stage-results .result-row")
    await expect(rows.filter(has_text="Groen")).to_contain_text("(1)")
    await expect(rows.filter(has_text="Blauw")).to_contain_text("(1)")

    # Every socket is wss:// to nginx's own address, never to a Daphne.
    urls = {(page, url) for page, url in tls_browser.sockets}
    assert (presenter, f"{wss}/ws/present/{code}/") in urls
    assert (console, f"{wss}/ws/facilitate/{code}/") in urls
    for phone in phones:
        assert {url for page, url in urls if page is phone} == {f"{wss}/ws/s/{code}/"}

    # nginx logs a websocket when it closes: each went through nginx, upgraded (101), to
    # the Daphne whose own log has the socket under the request id nginx gave it.
    for page in [presenter, console, *phones]:
        await page.context.close()
    presenter_socket = logged(proxied, f"/ws/present/{code}/")[0]
    phone_sockets = logged(proxied, f"/ws/s/{code}/", count=2)
    for entry in [presenter_socket, *phone_sockets]:
        assert entry["status"] == "101" and entry["protocol"] == "HTTP/1.1", entry
        daphne = proxied.daphne_of(entry["upstream"])
        wait_for(
            lambda daphne=daphne, entry=entry: any(
                r.get("request_id") == entry["request_id"] and r.get("method") == "WS"
                for r in proxied.daphne_records(daphne)
            ),
            what=f"socket {entry['request_id']} in Daphne {daphne}'s log",
        )
    if len(proxied.daphnes) == 2:
        assert {e["upstream"] for e in phone_sockets} - {presenter_socket["upstream"]}, (
            "no phone was served by the other Daphne than the presenter"
        )


def test_plain_http_is_redirected_to_https_except_certificate_challenges(proxied):
    connection = http.client.HTTPConnection("127.0.0.1", proxied.http_port, timeout=10)
    connection.request("GET", "/p/some-process/?tab=log", headers={"Host": "localhost"})
    response = connection.getresponse()
    assert response.status == 301
    assert response.headers["Location"] == "https://localhost/p/some-process/?tab=log"
    response.read()

    token = secrets.token_urlsafe(16)
    challenge = proxied.acme_root / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True, exist_ok=True)
    (challenge / token).write_text(f"{token}.key-authorisation")
    connection.request("GET", f"/.well-known/acme-challenge/{token}", headers={"Host": "localhost"})
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, f"{token}.key-authorisation".encode())
    connection.close()


def test_static_files_are_served_by_nginx_with_a_long_cache_for_hashed_names(proxied):
    status, page_headers, page = https(proxied, "GET", "/accounts/login/")
    assert status == 200
    assert page_headers["X-Request-ID"]  # a page: Daphne's answer carries its request id
    # HSTS is Django's (the request is secure by the proxy's header), sent once.
    hsts = page_headers.get_all("Strict-Transport-Security")
    assert len(hsts) == 1 and hsts[0].startswith("max-age=31536000"), hsts
    stylesheet = re.search(rb'<link[^>]+href="(/static/[^"]+\.css)"', page)
    assert stylesheet, "no stylesheet on the login page"
    path = stylesheet.group(1).decode()
    assert re.search(r"\.[0-9a-f]{12}\.css$", path), path  # collectstatic's hashed name

    status, headers, body = https(proxied, "GET", path, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and body
    # nginx's own value (whitenoise would say max-age=315360000) and its .gz twin; no
    # Daphne was asked.
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Encoding"] == "gzip"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Request-ID" not in headers
    for index in range(len(proxied.daphnes)):
        assert not [r for r in proxied.daphne_records(index) if r.get("route") == "static/"]


def test_a_body_over_the_limit_is_refused_by_nginx_and_a_large_one_buffered_to_disk(proxied):
    # Refused on its declared length (MAX_REQUEST_BYTES + 1), before a byte of the body
    # is read, by nginx itself: no upstream.
    probe = f"/manage/too-large-{secrets.token_hex(4)}/"
    connection = http.client.HTTPSConnection(
        "localhost", proxied.https_port, context=proxied.tls(), timeout=30
    )
    connection.putrequest("POST", probe)
    connection.putheader("Content-Type", "application/octet-stream")
    connection.putheader("Content-Length", str(settings.MAX_REQUEST_BYTES + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert b"nginx" in response.read()
    connection.close()
    [refused] = logged(proxied, probe)
    assert (refused["status"], refused["upstream"]) == ("413", "-")

    # 200 KB (more than client_body_buffer_size, within the anonymous limit): nginx
    # writes it to its temporary directory, then passes it on whole.
    passed = f"/buffered-{secrets.token_hex(4)}/"
    status, _headers, _body = https(
        proxied,
        "POST",
        passed,
        headers={"Content-Type": "application/octet-stream"},
        body=secrets.token_bytes(200 * 1024),
    )
    assert status == 404  # Django's answer: the body reached it
    [entry] = logged(proxied, passed)
    daphne = proxied.daphne_of(entry["upstream"])
    assert any(
        r.get("request_id") == entry["request_id"] and r.get("status") == 404
        for r in proxied.daphne_records(daphne)
    )
    body_dir = proxied.directory / "body"
    assert f"a client request body is buffered to a temporary file {body_dir}/" in (
        proxied.error_log.read_text()
    )


def test_health_checks_pass_through_nginx_and_the_container_check_asks_daphne(proxied):
    status, _headers, body = https(proxied, "GET", "/healthz")
    assert status == 200, body
    status, headers, body = https(proxied, "GET", "/readyz")
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    checks = json.loads(body)["checks"]
    assert {"database", "channel_layer", "media"} <= set(checks)
    assert all(check["ok"] for check in checks.values()), checks

    # The Dockerfile's HEALTHCHECK, run here against a Daphne started as the unit starts
    # it (with HTTPS on).
    check = [sys.executable, str(DEPLOY / "healthcheck.py")]
    env = {"ALLOWED_HOSTS": "localhost", "PATH": "/usr/bin:/bin"}
    for daphne in proxied.daphnes:
        healthy = subprocess.run(
            [*check, f"http://{daphne.url}/healthz"], env=env, capture_output=True, text=True
        )
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    down = subprocess.run(
        [*check, f"http://127.0.0.1:{free_port()}/healthz"], env=env, capture_output=True
    )
    assert down.returncode == 1


def test_the_access_log_holds_no_addresses_and_no_secret_tokens(proxied):
    """Every link that carries a secret token in its path, as the URL patterns make it,
    is logged with the token cut out; the pages around them keep their paths."""
    token = secrets.token_urlsafe(20)
    masked = {
        # Django's reset link, and the page it redirects to once the token is checked.
        f"/accounts/password/reset/MQ/{token}/": "/accounts/password/reset/[token]/",
        f"/accounts/password/reset/{token}/set-password/": "/accounts/password/reset/[token]/",
        f"/manage/invitations/{token}/": "/manage/invitations/[token]/",
        f"/manage/invitations/{token}": "/manage/invitations/[token]/",
        f"/t/{token}/": "/t/[token]/",
        f"/follow/{token}/confirm/": "/follow/[token]/confirm/",
        f"/follow/{token}/stop/": "/follow/[token]/stop/",
        f"/follow/{token}": "/follow/[token]/",
    }
    for path in masked:
        https(proxied, "GET", path)
    kept = ["/accounts/password/reset/", "/accounts/password/reset/sent/", "/t/s/1/"]
    for path in kept:
        https(proxied, "GET", path)
    marker = f"/p/log-check-{secrets.token_hex(4)}/"
    https(proxied, "GET", f"{marker}?receipt={token}")
    logged(proxied, marker)

    text = proxied.access_log.read_text()
    assert token not in text
    paths = {e["path"] for e in proxied.access_entries()}
    assert set(masked.values()) | set(kept) <= paths
    # The only address in a line is the upstream's (a Daphne on loopback), never the
    # client's (here also 127.0.0.1).
    for line in text.splitlines():
        assert "127.0.0.1" not in re.sub(r"upstream=\S+", "", line), line


def test_a_websocket_from_another_origin_is_refused_behind_the_proxy(proxied):
    """The origin check still works behind nginx: it reaches Daphne, which refuses."""
    path = f"/ws/s/{secrets.token_hex(3).upper()}/"
    status, _headers, _body = https(
        proxied,
        "GET",
        path,
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Origin": "https://elsewhere.example",
        },
    )
    assert status == 403
    [entry] = logged(proxied, path)
    assert entry["upstream"] in {d.url for d in proxied.daphnes}
