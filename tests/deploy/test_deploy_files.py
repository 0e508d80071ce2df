"""The files of ``deploy/`` agree with the code and with each other: the environment file
gives a configuration that passes Django's deployment check (read the way
``inspraak-manage`` reads it), the systemd units are valid and hardened, the container
runs Daphne with the unit's options, and nginx's body limit is the application's."""

from __future__ import annotations

import base64
import getpass
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.deploy.conftest import DEPLOY, ROOT, SITE, unit_daphne_options

ENV_EXAMPLE = DEPLOY / "inspraak.env.example"
UNITS = DEPLOY / "systemd"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def example_variables() -> list[str]:
    """Every variable the example names, set or commented out."""
    return re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE)


def test_every_variable_in_the_environment_file_is_one_the_code_reads():
    code = "\n".join(
        path.read_text()
        for folder in ("config", "sessions_app")
        for path in (ROOT / folder).rglob("*.py")
    )
    names = example_variables()
    assert {"SECRET_KEY", "SIGNING_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= set(names)
    unknown = [name for name in names if f'"{name}"' not in code]
    assert unknown == [], f"not read by the code: {unknown}"


def test_the_environment_file_passes_the_deployment_check(tmp_path):
    """The example, with its secrets and mail server filled in, read by
    ``deploy/inspraak-manage`` as on a server: ``manage.py check --deploy`` finds nothing
    to warn about."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    signing_key = base64.b64encode(
        Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    ).decode()
    text = ENV_EXAMPLE.read_text()
    text = re.sub(
        r"^SECRET_KEY=.*$", f"SECRET_KEY={'k' * 20}{os.urandom(20).hex()}", text, flags=re.M
    )
    text = re.sub(r"^SIGNING_KEY=.*$", f"SIGNING_KEY={signing_key}", text, flags=re.M)
    # The mail server, left out of the example for its password (without one the deploy
    # check warns: reset mails would go nowhere).
    text = re.sub(r"^# (EMAIL_URL=smtp://)", r"\1", text, flags=re.M)
    env_file = tmp_path / "inspraak.env"
    env_file.write_text(text)

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(DEPLOY / "inspraak-manage"), *args],
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "INSPRAAK_APP": str(ROOT),
                "INSPRAAK_VENV": sys.prefix,
                "INSPRAAK_ENV_FILE": str(env_file),
                "INSPRAAK_USER": getpass.getuser(),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )

    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # A quoted value arrives without its quotes.
    shown = manage(
        "shell", "-c", "from django.conf import settings as s; print(s.PRIVACY_CONTROLLER)"
    )
    assert shown.stdout.strip().splitlines()[-1] == "Gemeente Voorbeeldstad", shown.stderr


def test_nginx_takes_the_bodies_the_application_takes():
    size = re.search(r"client_max_body_size (\d+)m;", SITE.read_text())
    assert size, "no client_max_body_size in the site file"
    nginx_limit = int(size.group(1)) * 1024 * 1024
    example = re.search(r"^MAX_REQUEST_BYTES=(\d+)$", ENV_EXAMPLE.read_text(), re.M)
    assert nginx_limit == settings.MAX_REQUEST_BYTES == int(example.group(1))


def test_the_container_runs_daphne_as_the_systemd_unit_does():
    dockerfile = DEPLOY.parent / "Dockerfile"
    text = dockerfile.read_text().replace("\\\n", " ")
    command = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))
    healthcheck = re.search(r"^HEALTHCHECK .* CMD (\[.*\])$", text, re.M)
    assert command[0] == "daphne" and command[-1] == "config.asgi:application"
    endpoint = command[command.index("-e") + 1]
    options = [w for w in command[1:-1] if w not in ("-e", endpoint)]
    assert options == unit_daphne_options()
    assert "--proxy-headers" in options
    assert "backlog=2048" in endpoint
    assert json.loads(healthcheck.group(1))[:2] == ["python", "deploy/healthcheck.py"]


@pytest.fixture
def units(tmp_path) -> Path:
    """The units with the virtualenv's path pointing at this one, and an instance of the
    template (systemd-analyze checks that the programs exist)."""
    if not SYSTEMD_ANALYZE:
        pytest.fail("systemd-analyze not found; install Debian's systemd")
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/inspraak/venv/bin/", f"{Path(sys.prefix)}/bin/")
        name = unit.name.replace("@.service", "@8001.service")
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_systemd_units_are_valid(units):
    names = sorted(p.name for p in units.iterdir())
    assert names == [
        "inspraak-backup.service",
        "inspraak-backup.timer",
        "inspraak-daphne@8001.service",
        "inspraak-purge.service",
        "inspraak-purge.timer",
        "inspraak.target",
    ]
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *(str(units / n) for n in names)],
        capture_output=True,
        text=True,
        cwd=units,
    )
    # Unknown keys and bad values are warnings on standard error, with exit status 0.
    assert (result.returncode, result.stderr.strip()) == (0, ""), result.stderr


def test_the_services_are_sandboxed(units):
    for name in ("inspraak-daphne@8001", "inspraak-purge", "inspraak-backup"):
        result = subprocess.run(
            [SYSTEMD_ANALYZE, "security", "--offline=yes", str(units / f"{name}.service")],
            capture_output=True,
            text=True,
            cwd=units,
        )
        level = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
        assert level, result.stdout + result.stderr
        # systemd's scale: 0 (fully sandboxed) to 10; below 2 is "OK".
        assert float(level.group(1)) < 2.0, result.stdout


def test_the_timers_jobs_weigh_less_than_the_daphnes():
    """Nice counts only inside a unit's control group: against the Daphne units, a timer's
    job needs a lower CPU weight too, or a purge or backup takes a core's half from a
    live session."""
    for name in ("inspraak-purge", "inspraak-backup"):
        lines = (UNITS / f"{name}.service").read_text().splitlines()
        assert "CPUWeight=10" in lines and "Nice=10" in lines, name
    daphne = (UNITS / "inspraak-daphne@.service").read_text()
    assert "CPUWeight" not in daphne  # systemd's default, 100
