"""A body over a page's limit: refused before it is parsed (413), as a page of the site
that says how much the form takes, that nothing was saved, and leads back to the form."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.http_guard import refusal
from sessions_app.models import Process
from sessions_app.services import design_io


def test_a_design_file_over_the_limit_gets_a_page_with_the_way_back(client, organiser):
    client.force_login(organiser)
    url = reverse("designer:process_import")
    big = SimpleUploadedFile("plan.json", b" " * (design_io.MAX_FILE_BYTES + 512 * 1024))
    response = client.post(url, {"file": big}, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<main" in html and 'role="alert"' in html  # the site's layout, announced
    # The size the form says beside its field (not the form's overhead), in Dutch.
    assert re.search(r"ten hoogste 2,0[\s\xa0]MB aan", html), html
    assert f'href="{url}"' in html  # back to the form
    assert not Process.objects.exists()


def test_the_bare_refusal_below_django_names_megabytes_not_bytes():
    body = refusal(101 * 2**20).decode()
    assert "ten hoogste 101 MB." in body and "at most 101 MB." in body
    assert "bytes" not in body.split("\r\n\r\n", 1)[1]
