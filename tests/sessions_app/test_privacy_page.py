"""The privacy statement, made from settings and linked from every page, the join pages
and the paper form; and the public log, which names staff by their role, not their name."""

import datetime

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from sessions_app import cookies
from sessions_app.models import Role, StaffRole
from sessions_app.privacy import Retention, retention_defaults
from sessions_app.services.facilitation import question_close, question_open
from sessions_app.services.printing import form_layout, privacy_line
from sessions_app.services.processes import process_publish
from sessions_app.services.staff import staff_revoke

pytestmark = pytest.mark.django_db

PRIVACY = reverse("public:privacy")


@pytest.fixture
def filled_in(settings):
    settings.PRIVACY_CONTROLLER = "Gemeente Voorbeeldstad"
    settings.PRIVACY_CONTACT = "privacy@voorbeeldstad.nl"
    settings.PRIVACY_DPO = "fg@voorbeeldstad.nl"
    return settings


def test_the_page_is_at_privacy_and_renders_in_english_and_dutch(client, filled_in):
    assert PRIVACY == "/privacy/"
    english = client.get(PRIVACY, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    page = english.content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Privacy statement</h1>" in page
    assert "Staff login" in page

    dutch = client.get(PRIVACY, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert '<html lang="nl">' in dutch
    assert "Inloggen voor medewerkers" in dutch  # the site around it speaks Dutch
    assert "Gemeente Voorbeeldstad" in dutch

    client.cookies["django_language"] = "nl"
    assert '<html lang="nl">' in client.get(PRIVACY).content.decode()


def test_the_page_names_the_controller_contact_and_officer(client, filled_in):
    page = client.get(PRIVACY).content.decode()
    assert "Gemeente Voorbeeldstad is responsible for the personal data" in page
    assert '<a href="mailto:privacy@voorbeeldstad.nl">privacy@voorbeeldstad.nl</a>' in page
    assert "To use these rights, write to privacy@voorbeeldstad.nl." in page
    assert "Data protection officer" in page and "fg@voorbeeldstad.nl" in page
    assert "not filled in yet" not in page


def test_a_postal_address_is_shown_as_text(client, settings):
    settings.PRIVACY_CONTACT = "Postbus 1, 1234 AB Voorbeeldstad"
    page = client.get(PRIVACY).content.decode()
    assert "Postbus 1, 1234 AB Voorbeeldstad" in page
    assert "mailto:" not in page


def test_the_page_says_when_nothing_is_filled_in(client, settings):
    settings.PRIVACY_CONTROLLER = ""
    settings.PRIVACY_CONTACT = ""
    settings.PRIVACY_DPO = ""
    page = client.get(PRIVACY).content.decode()
    assert (
        "The organisation running this installation has not yet filled in who is "
        "responsible for the personal data on this site." in page
    )
    assert "not filled in yet" in page  # the contact
    assert "Data protection officer" not in page
    assert "contact the organisation that invited you to take part" in page


def test_the_page_shows_the_retention_figures_from_the_settings(client, settings):
    settings.RETENTION_PHOTOS_DAYS = 45
    settings.RETENTION_TEXTS_MONTHS = 18
    settings.RETENTION_PARTICIPANT_DAYS = 7
    page = client.get(PRIVACY).content.decode()
    retention = page.split('id="retention-heading"')[1].split("</dl>")[0]
    assert "<dl" in retention
    assert "plus 45 days." in retention
    assert "plus 18 months. Then the text is erased; the counted choices stay." in retention
    assert "Valid for 7 days." in retention

    settings.RETENTION_PHOTOS_DAYS = 1
    settings.RETENTION_TEXTS_MONTHS = 1
    page = client.get(PRIVACY).content.decode()
    assert "plus 1 day." in page and "plus 1 month." in page


def test_the_defaults_and_what_other_code_reads(settings):
    # The defaults the settings module gives without environment variables.
    assert (
        settings.RETENTION_PHOTOS_DAYS,
        settings.RETENTION_TEXTS_MONTHS,
        settings.RETENTION_PARTICIPANT_DAYS,
    ) == (30, 12, 30)
    settings.RETENTION_TEXTS_MONTHS = 6
    retention = retention_defaults()
    assert retention == Retention(photos_days=30, texts_months=6, participant_days=30)
    with pytest.raises(AttributeError):
        retention.photos_days = 1  # frozen


def test_the_page_says_plainly_what_is_and_is_not_logged(client):
    page = client.get(PRIVACY).content.decode()
    assert "Inspraak itself stores no IP addresses of staff or participants" in page
    assert "responsibility of the organisation running this installation" in page
    assert "autoriteitpersoonsgegevens.nl" in page
    assert "style=" not in page and "<script" not in page
    # What the public data does hold of staff: their account's user name.
    assert "hold the user name of their account" in page
    assert "Notes that facilitators write about a meeting" in page
    assert "<dt>Staff accounts</dt>" in page


def test_the_page_has_headings_in_order(client):
    page = client.get(PRIVACY).content.decode()
    assert page.count("<h1") == 1
    assert "<h3" not in page
    assert page.index("<h1") < page.index("<h2")


def test_the_footer_links_to_the_page(client):
    page = client.get(reverse("public:index")).content.decode()
    footer = page.split('<footer class="site-footer">')[1]
    assert f'href="{PRIVACY}"' in footer
    assert "with a public log anyone can check." in footer  # the sentence stays


@pytest.fixture
def published(live_session, make_question, organiser):
    question = make_question("single_choice")
    process_publish(user=organiser, process=live_session.process)
    live_session.refresh_from_db()
    return live_session, question


def test_the_join_pages_link_to_the_page(client, published):
    session, _question = published
    for url in (
        reverse("participate:join_start"),
        reverse("participate:join", args=[session.join_code]),
    ):
        page = client.get(url).content.decode()
        assert f'href="{PRIVACY}"' in page, url


# --- the participant cookie ----------------------------------------------------------------


def test_the_participant_cookie_lasts_as_the_setting_says(client, published, settings):
    settings.RETENTION_PARTICIPANT_DAYS = 2
    session, _question = published
    response = client.post(reverse("participate:join", args=[session.join_code]))
    assert response.cookies[cookies.cookie_name(session.pk)]["max-age"] == 2 * 24 * 60 * 60
    assert cookies.MAX_AGE == cookies.max_age() == 2 * 24 * 60 * 60


def test_a_participant_cookie_expires_after_the_setting(settings):
    settings.RETENTION_PARTICIPANT_DAYS = 2
    start = datetime.datetime(2027, 1, 15, 19, 30, tzinfo=datetime.UTC)
    with freeze_time(start):
        response = HttpResponse()
        cookies.set_token(response, 7, "token-abc")
        jar = {name: morsel.value for name, morsel in response.cookies.items()}
    with freeze_time(start + datetime.timedelta(days=1, hours=23)):
        assert cookies.read_token(jar, 7) == "token-abc"
    with freeze_time(start + datetime.timedelta(days=2, hours=1)):
        assert cookies.read_token(jar, 7) is None


# --- the paper form ------------------------------------------------------------------------


def test_the_paper_form_names_the_privacy_address_when_the_site_has_one(published, settings):
    session, _question = published
    settings.SITE_URL = ""
    assert privacy_line() == ""
    plain = form_layout(session=session, large_print=False).data
    assert not any(PRIVACY in t["text"] for p in plain["pages"] for t in p["texts"])

    settings.SITE_URL = "https://inspraak.voorbeeldstad.nl"
    assert privacy_line() == "Privacy statement: https://inspraak.voorbeeldstad.nl/privacy/"
    data = form_layout(session=session, large_print=False).data
    # under the instructions on the first page (in the process's language), before the
    # first question, so it never takes a page of its own
    first = [t["text"] for t in data["pages"][0]["texts"]]
    line = next(i for i, text in enumerate(first) if text.endswith("voorbeeldstad.nl/privacy/"))
    assert first[line].startswith("Privacyverklaring: ")
    assert any(text.startswith("Zet een kruisje") for text in first[:line])
    assert first[line + 1].startswith("1. ")
    assert len(data["pages"]) == len(plain["pages"])
    assert data["version"] != plain["version"]


# --- the public log ------------------------------------------------------------------------


@pytest.fixture
def staffed_log(published, make_user, grant, organiser):
    """A facilitator opened the question; another facilitator, whose role was taken away
    afterwards, closed it."""
    session, question = published
    process = session.process
    fenna = make_user("fenna.devries")
    grant(process, fenna, Role.FACILITATOR)
    question_open(user=fenna, question=question)
    rik = make_user("rik.jansen")
    grant(process, rik, Role.FACILITATOR)
    question_close(user=rik, question=question)
    staff_revoke(user=organiser, staff_role=StaffRole.objects.get(process=process, user=rik))
    process.refresh_from_db()
    return process


def who_column(page: str) -> list[str]:
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    return [row.split("<td>")[3].split("</td>")[0].strip() for row in rows]


def test_the_public_log_names_staff_by_role_never_by_name(client, staffed_log):
    process = staffed_log
    assert process.log_entries.filter(actor="staff:fenna.devries").exists()
    assert process.log_entries.filter(actor="staff:rik.jansen").exists()
    client.cookies["django_language"] = "en"
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("public:log", args=[process.slug])).content.decode()
    for name in ("fenna.devries", "rik.jansen", "olga"):
        assert name not in page
    who = who_column(page)
    assert "facilitator" in who  # fenna
    assert "organiser" in who  # olga
    assert "staff" in who  # rik, no role any more
    assert not any(w.startswith("staff:") for w in who)
    role_queries = [q for q in queries.captured_queries if "staffrole" in q["sql"].lower()]
    assert len(role_queries) == 1


def test_the_public_log_speaks_the_process_language_for_roles(client, staffed_log):
    page = client.get(reverse("public:log", args=[staffed_log.slug])).content.decode()
    # The process is Dutch and the visitor chose no language.
    assert "gespreksleider" in who_column(page)
    assert "organisator" in who_column(page)


def test_the_designer_log_still_shows_user_names(client, staffed_log, organiser):
    client.force_login(organiser)
    page = client.get(reverse("designer:process_log", args=[staffed_log.slug])).content.decode()
    assert "staff:fenna.devries" in page
    assert "staff:rik.jansen" in page
    assert "staff:olga" in page
