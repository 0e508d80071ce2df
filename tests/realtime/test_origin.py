"""Sockets only from a page of this site: scheme, host and port of the Origin must be the
request's own (or a trusted origin), as Django's CSRF check asks of forms."""

import pytest

from realtime.origin import origin_allowed

from .conftest import Client

pytestmark = pytest.mark.django_db(transaction=True)


def scope(origin: str | None, host: str | None = "127.0.0.1:8103", scheme: str = "ws", **more):
    headers = [(b"origin", origin.encode())] if origin else []
    if host:
        headers.append((b"host", host.encode()))
    headers += [(name.encode(), value.encode()) for name, value in more.items()]
    return {"type": "websocket", "scheme": scheme, "headers": headers}


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:8103", True),
        ("HTTP://127.0.0.1:8103", True),  # case does not matter
        ("http://127.0.0.1:8104", False),  # another port of the same host
        ("https://127.0.0.1", False),  # another scheme (and port)
        ("https://127.0.0.1:8103", False),
        ("http://127.0.0.1", False),
        ("http://localhost:8103", False),  # an allowed host, but not this request's
        ("http://evil.example:8103", False),
        ("null", False),
        ("http://127.0.0.1:99999", False),  # not a port
        (None, False),
    ],
)
def test_the_origin_must_be_the_requests_own(origin, allowed, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert origin_allowed(scope(origin)) is allowed


def test_the_host_must_be_allowed_and_present(settings):
    settings.ALLOWED_HOSTS = ["inspraak.example.nl"]
    assert origin_allowed(scope("http://127.0.0.1:8103")) is False
    assert origin_allowed(scope("http://inspraak.example.nl", host="inspraak.example.nl"))
    assert origin_allowed(scope("http://inspraak.example.nl", host=None)) is False


def test_https_pages_behind_a_trusted_proxy(settings):
    settings.ALLOWED_HOSTS = ["inspraak.example.nl"]
    secure = "https://inspraak.example.nl"
    # wss: the socket itself is encrypted.
    assert origin_allowed(scope(secure, host="inspraak.example.nl", scheme="wss"))
    # Plain ws from the proxy: only with the proxy's header, and only when it is trusted.
    settings.SECURE_PROXY_SSL_HEADER = None
    proxied = scope(secure, host="inspraak.example.nl", **{"x-forwarded-proto": "https"})
    assert origin_allowed(proxied) is False
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(proxied)
    assert (
        origin_allowed(
            scope(
                "http://inspraak.example.nl",
                host="inspraak.example.nl",
                **{"x-forwarded-proto": "https"},
            )
        )
        is False
    )


def test_trusted_origins_and_the_site_url_are_accepted(settings):
    settings.ALLOWED_HOSTS = ["inspraak.example.nl"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://inspraak.example.nl"]
    settings.SITE_URL = "https://stem.example.nl:8443"
    internal = "inspraak.internal:8000"
    assert origin_allowed(scope("https://inspraak.example.nl", host=internal))
    assert origin_allowed(scope("https://stem.example.nl:8443", host=internal))
    assert origin_allowed(scope("https://stem.example.nl", host=internal)) is False


async def test_a_socket_from_another_port_is_refused_at_the_handshake(room):
    session, _questions = room
    for origin, accepted in (("http://testserver", True), ("http://testserver:8080", False)):
        client = Client(f"/ws/present/{session.join_code}/", [(b"origin", origin.encode())])
        connected, _code = await client.connect()
        assert connected is accepted, origin
        await client.close()
