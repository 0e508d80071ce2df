"""/healthz and /readyz: no login, no cookie, not cached, answered whatever the Host and the
HTTPS redirect, and a failing check named with a 503."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_like(settings):
    """HTTPS redirect on and a host list without the probe's address, as on a server."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["inspraak.example.nl"]


def assert_probe_response(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert response["Content-Type"] == "application/json"


def test_healthz_answers_a_local_probe(client, production_like):
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert_probe_response(response)
    assert reverse("healthz") == "/healthz"
    # Any other page on that host is refused (host check) or sent to HTTPS.
    assert client.get("/privacy/", HTTP_HOST="127.0.0.1:8000").status_code in (301, 400)


def test_readyz_reports_each_check_with_its_time(client, production_like):
    response = client.get("/readyz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert_probe_response(response)
    body = response.json()
    assert body["status"] == "ok" and "failed" not in body
    assert set(body["checks"]) == {"database", "channel_layer", "media"}
    for check in body["checks"].values():
        assert check["ok"] is True and isinstance(check["ms"], float) and check["ms"] >= 0


def test_readyz_names_an_unwritable_media_root(client, settings, tmp_path):
    not_a_directory = tmp_path / "media"
    not_a_directory.write_text("a file where the directory should be")
    settings.MEDIA_ROOT = str(not_a_directory)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["failed"] == ["media"]
    assert body["checks"]["media"] == {
        "ok": False,
        "error": "NotADirectoryError",
        "ms": body["checks"]["media"]["ms"],
    }
    assert body["checks"]["database"]["ok"] and body["checks"]["channel_layer"]["ok"]
    assert_probe_response(response)


def test_readyz_names_an_unreachable_channel_layer(client, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Nothing listens on port 9 (discard) here: the connection is refused.
            "CONFIG": {
                "hosts": [{"address": "redis://127.0.0.1:9/0", "socket_connect_timeout": 1}]
            },
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["channel_layer"]


def test_a_probe_writes_no_access_line_and_leaves_no_file(client, settings, caplog):
    from pathlib import Path

    with caplog.at_level("INFO", logger="inspraak.access"):
        client.get("/readyz")
        client.get("/healthz")
    assert not [r for r in caplog.records if r.name == "inspraak.access"]
    assert list(Path(settings.MEDIA_ROOT).iterdir()) == []
