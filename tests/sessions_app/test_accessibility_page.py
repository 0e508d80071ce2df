"""The accessibility statement: linked from every page, in Dutch and English, with the
organisation's part from settings and the software's part from what the tests check."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from sessions_app import accessibility

pytestmark = pytest.mark.django_db

PAGE = reverse("public:accessibility")


def test_linked_from_the_footer_of_every_page(client):
    assert PAGE == "/accessibility/"
    for url in ("/", reverse("public:privacy"), reverse("login")):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f'<a href="{PAGE}">Accessibility statement</a>' in page


def test_renders_in_dutch_and_english(client, settings):
    settings.ACCESSIBILITY_ORGANISATION = "Gemeente Voorbeeldstad"
    english = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Accessibility statement</h1>" in english
    assert "WCAG 2.1 level AA" in english
    assert "Gemeente Voorbeeldstad wants everyone to be able to take part" in english

    dutch = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "<h1>Toegankelijkheidsverklaring</h1>" in dutch
    assert "Gemeente Voorbeeldstad wil dat iedereen" in dutch
    assert "3 december 2026" in dutch  # the review date, written the Dutch way


def test_without_an_audit_the_status_is_c_whatever_is_configured(client, settings):
    settings.ACCESSIBILITY_AUDIT_URL = ""
    settings.ACCESSIBILITY_STATUS = "A"
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "C: first measures taken" in page
    assert "A: fully compliant" not in page
    assert "No independent audit of this installation has been done yet" in page


def test_an_audit_gives_its_status_report_and_date(client, settings):
    settings.ACCESSIBILITY_AUDIT_URL = "https://voorbeeldstad.nl/audit.pdf"
    settings.ACCESSIBILITY_AUDIT_DATE = "2026-11-20"
    settings.ACCESSIBILITY_STATUS = "B"
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "B: partially compliant" in page
    assert '<a href="https://voorbeeldstad.nl/audit.pdf">Read the audit report</a>' in page
    assert "2026-11-20" in page
    assert "No independent audit of this installation has been done yet" not in page


def test_contact_falls_back_to_the_privacy_contact_and_states_a_response_time(client, settings):
    settings.ACCESSIBILITY_CONTACT = ""
    settings.PRIVACY_CONTACT = "privacy@voorbeeldstad.nl"
    settings.ACCESSIBILITY_RESPONSE_DAYS = 10
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<a href="mailto:privacy@voorbeeldstad.nl">' in page
    assert "Within 10 working days." in page

    settings.ACCESSIBILITY_CONTACT = "toegankelijkheid@voorbeeldstad.nl"
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<a href="mailto:toegankelijkheid@voorbeeldstad.nl">' in page


def test_not_filled_in_is_said_plainly(client, settings):
    settings.ACCESSIBILITY_ORGANISATION = settings.PRIVACY_CONTROLLER = ""
    settings.ACCESSIBILITY_CONTACT = settings.PRIVACY_CONTACT = ""
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count("not filled in yet") == 2
    assert "Everyone should be able to take part" in page


def test_known_problems_and_tested_pages_are_listed(client):
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for problem in accessibility.PROBLEMS:
        assert escape(str(problem.what)) in page
        assert escape(str(problem.instead)) in page
    for check in accessibility.CHECKS:
        assert escape(str(check.method)) in page
        for tested in check.pages:
            assert escape(str(tested)) in page


def test_the_tested_pages_are_the_pages_the_tests_run_axe_on():
    """The statement claims axe runs on the join, phone, projector, console, designer,
    paper and export pages: each of those test files runs axe."""
    from pathlib import Path

    e2e = Path(__file__).resolve().parents[1] / "e2e"
    for name in (
        "test_live_session.py",
        "test_designer.py",
        "test_paper.py",
        "test_photo_reading.py",
        "test_exports.py",
        "test_receipts.py",
        "test_opinion_map.py",
    ):
        assert (
            "Axe().run" in (e2e / name).read_text()
            or "no_axe_violations" in (e2e / name).read_text()
        ), name


def test_a_wrong_status_setting_is_refused():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DEBUG": "1", "ACCESSIBILITY_STATUS": "Z"}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ACCESSIBILITY_STATUS is one of A, B, C, D and E." in result.stderr
