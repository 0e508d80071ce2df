"""Debian's nginx, configured with ``deploy/nginx/inspraak.conf`` itself, with TLS (a
certificate made for the run) in front of Daphne processes started as the systemd unit
starts them: two with Redis, one on the in-process channel layer (which cannot span
processes). Everything runs unprivileged in a temporary prefix on free loopback ports."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.stack import Server, launch_daphne, stop_daphne
from tests.e2e.conftest import (  # noqa: F401 - fixtures, shared with the browser tests
    _close_worker_connections,
    _fast_password_hashing,
    browser,
    server_env,
    static_root,
)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "inspraak.conf"
DAPHNES = DEPLOY / "nginx" / "inspraak-daphnes.conf"
UNIT = DEPLOY / "systemd" / "inspraak-daphne@.service"
NGINX = os.environ.get("NGINX_PATH", "/usr/sbin/nginx")
STARTUP_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost (and 127.0.0.1), valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def unit_daphne_options() -> list[str]:
    """Daphne's options in the systemd unit's ExecStart, without the program, the
    endpoint (``-e``) and the application: what the test's processes run with too."""
    text = UNIT.read_text()
    line = re.search(r"^ExecStart=(.*?)(?<!\\)$", text, re.MULTILINE | re.DOTALL)
    assert line, "no ExecStart in the unit"
    words = shlex.split(line.group(1).replace("\\\n", " "))
    assert words[0].endswith("/daphne") and words[-1] == "config.asgi:application", words
    options, rest = [], iter(words[1:-1])
    for word in rest:
        if word == "-e":
            next(rest)
            continue
        options.append(word)
    return options


def substitute(text: str, pattern: str, replacement: str, count: int) -> str:
    """Replace a placeholder of the site file, which must be there exactly ``count``
    times: a changed site file fails here, not later with a puzzling nginx error."""
    found = len(re.findall(pattern, text, flags=re.MULTILINE))
    assert found == count, f"{pattern!r}: {found} in {SITE.name}, expected {count}"
    return re.sub(pattern, lambda _: replacement, text, flags=re.MULTILINE)


@dataclass
class Proxied:
    """nginx in front of Daphne processes, and where each of them writes."""

    directory: Path
    http_port: int
    https_port: int
    cert: Path
    static_root: Path
    acme_root: Path
    access_log: Path
    error_log: Path
    daphnes: list[Server]
    nginx: subprocess.Popen

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.https_port}"

    def tls(self) -> ssl.SSLContext:
        """A client context that trusts the run's certificate (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.cert))

    def access_entries(self) -> list[dict]:
        """nginx's access log of the site, one dict per line (the "inspraak" format)."""
        if not self.access_log.exists():
            return []
        entries = []
        for line in self.access_log.read_text().splitlines():
            match = ACCESS_LINE.fullmatch(line)
            assert match, f"not in the site's log format: {line}"
            entries.append(match.groupdict())
        return entries

    def daphne_of(self, upstream: str) -> int:
        """The index of the Daphne at an upstream address nginx logged."""
        return [d.url for d in self.daphnes].index(upstream)

    def daphne_records(self, index: int) -> list[dict]:
        """The JSON log records a Daphne wrote (config.logging)."""
        records = []
        for line in self.daphnes[index].log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records


#: A line of the site's access log (``log_format inspraak`` in the site file).
ACCESS_LINE = re.compile(
    r'(?P<time>\S+) (?P<request_id>\S+) "(?P<method>\S+) (?P<path>.*) (?P<protocol>\S+)"'
    r" (?P<status>\d+) (?P<bytes>\d+) (?P<duration>\S+)"
    r" upstream=(?P<upstream>.*?) (?P<upstream_status>\S+) (?P<upstream_duration>\S+)"
)


def render_site(
    *, directory: Path, http_port: int, https_port: int, cert: Path, key: Path, static: Path
) -> Path:
    """``deploy/nginx/inspraak.conf`` with its placeholders filled in for this run."""
    text = SITE.read_text()
    text = substitute(text, r"^\s*listen \[::\]:(80|443)\b[^;]*;\n", "", 2)
    text = substitute(text, r"\blisten 80;", f"listen 127.0.0.1:{http_port};", 1)
    text = substitute(text, r"\blisten 443\b", f"listen 127.0.0.1:{https_port}", 1)
    text = substitute(text, r"server_name inspraak\.example\.nl;", "server_name localhost;", 2)
    text = substitute(text, r"ssl_certificate\s+/\S+;", f"ssl_certificate {cert};", 1)
    text = substitute(text, r"ssl_certificate_key\s+/\S+;", f"ssl_certificate_key {key};", 1)
    text = substitute(text, r"alias /var/www/inspraak/static/;", f"alias {static}/;", 1)
    text = substitute(text, r"root /var/www/letsencrypt;", f"root {directory / 'letsencrypt'};", 1)
    text = substitute(
        text,
        r"/var/log/nginx/inspraak\.access\.log",
        str(directory / "inspraak.access.log"),
        2,
    )
    text = substitute(
        text,
        r"client_body_temp_path /var/lib/nginx/body;",
        f"client_body_temp_path {directory / 'body'};",
        1,
    )
    text = substitute(
        text,
        r"include /etc/nginx/inspraak-daphnes\.conf;",
        f"include {directory / 'inspraak-daphnes.conf'};",
        1,
    )
    site = directory / "inspraak.conf"
    site.write_text(text)
    return site


def render_daphnes(directory: Path, ports: list[int]) -> None:
    """``deploy/nginx/inspraak-daphnes.conf``'s server line (its options kept), once per
    port of this run."""
    line = re.search(r"^server 127\.0\.0\.1:\d+(?P<options>[^;]*);", DAPHNES.read_text(), re.M)
    assert line, f"no server line in {DAPHNES.name}"
    (directory / "inspraak-daphnes.conf").write_text(
        "".join(f"server 127.0.0.1:{port}{line['options']};\n" for port in ports)
    )


def main_config(directory: Path, site: Path) -> Path:
    """The top of nginx's configuration (Debian's /etc/nginx/nginx.conf stands here),
    everything in the run's own directory."""
    for name in ("proxy", "fastcgi", "uwsgi", "scgi", "body"):
        (directory / name).mkdir(exist_ok=True)
    # Workers of a master started by root would drop to "nobody", who cannot read pytest's
    # private temporary directories; unprivileged, nginx keeps its own user anyway.
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""{user}
worker_processes 1;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    types_hash_max_size 2048;
    access_log {directory / "other.access.log"};
    proxy_temp_path {directory / "proxy"};
    fastcgi_temp_path {directory / "fastcgi"};
    uwsgi_temp_path {directory / "uwsgi"};
    scgi_temp_path {directory / "scgi"};
    include {site};
}}
"""
    )
    return conf


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {STARTUP_SECONDS} s")


@pytest.fixture(scope="module")
def proxied(django_db_setup, django_db_blocker, static_root, tmp_path_factory):  # noqa: F811
    if not (shutil.which(NGINX) or Path(NGINX).exists()):
        pytest.fail(f"nginx not found at {NGINX}; install Debian's nginx or set NGINX_PATH")
    directory = tmp_path_factory.mktemp("nginx")
    (directory / "letsencrypt").mkdir()
    http_port, https_port = free_port(), free_port()
    origin = f"https://localhost:{https_port}"
    cert, key = make_certificate(directory)

    # Production-like: HTTPS with secure cookies, the proxy's scheme trusted, the site's
    # own origin (as deploy/inspraak.env.example sets them).
    env = {
        **server_env(static_root),
        "HTTPS": "1",
        "TRUST_X_FORWARDED_PROTO": "1",
        "ALLOWED_HOSTS": "localhost",
        "CSRF_TRUSTED_ORIGINS": origin,
        "SITE_URL": origin,
        "DAILY_TICK": "0",
        "LOG_FORMAT": "json",
    }
    # As on a server (docs/deploy.md), MEDIA_ROOT exists before the service starts.
    Path(env["MEDIA_ROOT"]).mkdir(parents=True, exist_ok=True)
    # The in-process channel layer cannot carry one session across two processes.
    count = 2 if env.get("REDIS_URL") else 1
    # Started with the systemd unit's options; each writes its JSON log to its own file.
    options = tuple(unit_daphne_options())
    daphnes: list[Server] = []
    nginx = None
    try:
        for _ in range(count):
            daphnes.append(launch_daphne(env=env, directory=directory, args=options, warm=False))
        site = render_site(
            directory=directory,
            http_port=http_port,
            https_port=https_port,
            cert=cert,
            key=key,
            static=static_root,
        )
        render_daphnes(directory, [int(d.url.rsplit(":", 1)[1]) for d in daphnes])
        conf = main_config(directory, site)
        command = [NGINX, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen(
            [*command, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(directory / "nginx.stderr").open("w"),
        )
        wait_for_port(https_port, nginx, "nginx")
        proxied = Proxied(
            directory=directory,
            http_port=http_port,
            https_port=https_port,
            cert=cert,
            static_root=static_root,
            acme_root=directory / "letsencrypt",
            access_log=directory / "inspraak.access.log",
            error_log=directory / "error.log",
            daphnes=daphnes,
            nginx=nginx,
        )
        # Warm every process through nginx (the first request imports the views).
        for _ in range(2 * count):
            for path in ("/", "/accounts/login/"):
                urllib.request.urlopen(f"{origin}{path}", context=proxied.tls(), timeout=60).read()
        yield proxied
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.terminate()
            nginx.wait(timeout=10)
        for daphne in daphnes:
            stop_daphne(daphne)
