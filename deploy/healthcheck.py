"""Ask a Daphne process directly whether it is up: exit 0 if ``/healthz`` answers 200.

The container's HEALTHCHECK (and anyone on the machine) runs it as
``python deploy/healthcheck.py [URL]``, by default ``http://127.0.0.1:8000/healthz``.
It asks the way nginx does, so that the answer is the page's and not a refusal: with the
first of ``ALLOWED_HOSTS`` as Host (Django refuses other hosts) and
``X-Forwarded-Proto: https`` (with ``HTTPS`` on, Django would otherwise redirect a plain
request to HTTPS). Standard library only; redirects are not followed.
"""

from __future__ import annotations

import http.client
import os
import sys
from urllib.parse import urlsplit

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def check(url: str = DEFAULT_URL, *, timeout: float = 5.0) -> tuple[bool, str]:
    """Whether ``url`` answered 200, and a line saying what it answered."""
    parts = urlsplit(url)
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = next((h for h in hosts if "*" not in h and not h.startswith(".")), parts.netloc)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request(
            "GET",
            parts.path or "/",
            headers={"Host": host, "X-Forwarded-Proto": "https", "Accept": "application/json"},
        )
        response = connection.getresponse()
        body = response.read(200).decode("utf-8", "replace").strip()
    except OSError as error:
        return False, f"{url}: {error}"
    finally:
        connection.close()
    return response.status == 200, f"{url}: {response.status} {body}"


def main(argv: list[str]) -> int:
    healthy, line = check(argv[1] if len(argv) > 1 else DEFAULT_URL)
    print(line)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
