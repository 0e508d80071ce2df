"""The ``oidc_provider`` fixture: the test identity provider (this package) started with
``runserver`` on a free loopback port, with a fresh SQLite file, a newly generated RSA
signing key, one registered client (Inspraak) and the people in ``PEOPLE``. Stopped at
the end of the test session."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
#: Everyone's password at the provider.
PROVIDER_PASSWORD = "provider-password-5d1e"
#: Where the Django test client's callback lands: its host is "testserver".
TEST_CLIENT_CALLBACK = "http://testserver/oidc/callback/"


@dataclass(frozen=True)
class Person:
    username: str
    email: str
    verified: bool = True


#: The provider's accounts, by username. Each test makes (or not) Inspraak's side.
PEOPLE = {
    person.username: person
    for person in [
        Person("anna", "anna.devries@voorbeeldstad.nl"),
        Person("stranger", "iemand@elders.example"),
        Person("former", "oud.medewerker@voorbeeldstad.nl"),
        Person("unverified", "nog.niet.bevestigd@voorbeeldstad.nl", verified=False),
        Person("shared", "team@voorbeeldstad.nl"),
    ]
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Provider:
    url: str
    client_id: str
    client_secret: str
    env: dict
    process: subprocess.Popen
    log: Path

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def rp_settings(self, *, discovery: bool = True) -> dict[str, str]:
        """Inspraak's OIDC_* settings for this provider: by discovery, or every endpoint
        given explicitly."""
        values = {"OIDC_RP_CLIENT_ID": self.client_id, "OIDC_RP_CLIENT_SECRET": self.client_secret}
        if discovery:
            values["OIDC_OP_DISCOVERY_URL"] = self.discovery_url
        else:
            values.update(
                OIDC_OP_ISSUER=self.issuer,
                OIDC_OP_AUTHORIZATION_ENDPOINT=f"{self.issuer}/authorize/",
                OIDC_OP_TOKEN_ENDPOINT=f"{self.issuer}/token/",
                OIDC_OP_USER_ENDPOINT=f"{self.issuer}/userinfo/",
                OIDC_OP_JWKS_ENDPOINT=f"{self.issuer}/.well-known/jwks.json",
            )
        return values

    def allow_redirect(self, uri: str) -> None:
        """Register one more redirect URI for Inspraak (a Daphne on its own port)."""
        _bootstrap(self.env, "allow", self.client_id, uri)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _bootstrap(env: dict, *args: str, spec: dict | None = None) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.oidc_provider.bootstrap", *args],
        cwd=ROOT,
        env=env,
        input=json.dumps(spec) if spec is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"provider bootstrap {args[0]} failed:\n{result.stderr}")


def start_provider(directory: Path) -> Provider:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = directory / "signing-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "OIDC_", "SQLITE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings",
        OP_SECRET_KEY=secrets.token_urlsafe(32),
        OP_DATABASE=str(directory / "provider.sqlite3"),
        OP_RSA_KEY_FILE=str(key_file),
        PYTHONUNBUFFERED="1",
    )
    client_id, client_secret = "inspraak-" + secrets.token_hex(4), secrets.token_urlsafe(32)
    spec = {
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uris": [TEST_CLIENT_CALLBACK],
        "users": [
            {
                "username": person.username,
                "email": person.email,
                "verified": person.verified,
                "password": PROVIDER_PASSWORD,
            }
            for person in PEOPLE.values()
        ],
    }
    _bootstrap(env, "setup", spec=spec)

    port = _free_port()
    log = directory / "provider.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    provider = Provider(f"http://127.0.0.1:{port}", client_id, client_secret, env, process, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test identity provider exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(provider.discovery_url, timeout=2) as response:
                if response.status == 200:
                    return provider
        except OSError:
            time.sleep(0.2)
    provider.stop()
    raise RuntimeError(f"the test identity provider did not answer:\n{log.read_text()}")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    provider = start_provider(tmp_path_factory.mktemp("oidc-provider"))
    yield provider
    provider.stop()
