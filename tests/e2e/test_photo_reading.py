"""Photo reading in the browser: a teller photographs a filled form on a phone (a generated
photo given to the camera input) and the presenter's paper count changes; a form with two
marks on one question goes to the review queue, where the facilitator sees the boxes as
photographed and settles it with one tap."""

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from sessions_app.models import Response, Role
from sessions_app.services.facilitation import question_open, question_reveal
from sessions_app.services.print_runs import print_batch_create
from sessions_app.services.printing import form_layout
from sessions_app.services.processes import process_publish
from sessions_app.specs import OptionSpec
from tests.reading_helpers import photos, scanned_pdf
from tests.sessions_app.test_reading_service import blurred_qr_photo

from .helpers import log_in, no_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
OPTIONS = ("Bij de school", "In het park", "Achter de kerk")


@pytest.fixture
def filled_forms(live_session, make_question, organiser, make_user, grant):
    question = make_question(
        "single_choice",
        text="Waar moet de nieuwe speeltuin komen?",
        options=[OptionSpec(text) for text in OPTIONS],
    )
    process_publish(user=organiser, process=live_session.process)
    question_open(user=organiser, question=question)
    question_reveal(user=organiser, question=question, revealed=True)
    grant(live_session.process, make_user("tara"), Role.TELLER)
    layout = form_layout(session=live_session, large_print=False)
    sheets = list(
        print_batch_create(
            user=organiser, session=live_session, count=2, layout=layout
        ).sheets.order_by("serial")
    )
    options = list(question.options.order_by("position").values_list("pk", flat=True))
    park = photos(sheets[0], [("cross", question.pk, {"option": options[1]})], angle=6)
    # Two crosses: the person crossed "Achter de kerk" and then also "Bij de school".
    doubt = photos(
        sheets[1],
        [
            ("cross", question.pk, {"option": options[0]}),
            ("tick", question.pk, {"option": options[2]}),
        ],
        angle=-8,
    )
    assert len(park) == len(doubt) == 1  # a one-page form: one photo each
    live_session.refresh_from_db()
    return live_session, question, park[0], doubt[0]


async def photograph(phone, photo: bytes, name: str):
    await phone.get_by_label("Foto van één pagina van een ingevuld formulier").set_input_files(
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": photo}]
    )
    await phone.get_by_role("button", name="Foto lezen").click()


async def test_a_photographed_form_counts_and_an_unsure_one_is_settled_in_review(
    browser, daphne_url, filled_forms, organiser
):
    session, question, park, doubt = filled_forms
    presenter = await browser.new_page(locale="nl-NL", viewport={"width": 1600, "height": 900})
    await presenter.goto(f"{daphne_url}/present/{session.join_code}/")
    results = presenter.locator("#stage-results")
    await expect(results).to_contain_text("Antwoorden: 0")

    context = await browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 800}, is_mobile=True
    )
    phone = await context.new_page()
    await log_in(phone, daphne_url, "tara")
    await phone.goto(f"{daphne_url}/t/s/{session.pk}/")
    await no_axe_violations(phone)
    await photograph(phone, park, "IMG_0001.jpg")
    await expect(phone.locator(".message-success")).to_contain_text("Formulier 1 is geteld.")
    await expect(phone.locator(".read-answers")).to_contain_text("In het park")
    await no_axe_violations(phone)
    await expect(results).to_contain_text("Antwoorden: 1 (papier 1)")
    await expect(results.locator(".result-row", has_text="In het park")).to_contain_text("papier 1")

    # The same photo again is refused, and counts nothing.
    await photograph(phone, park, "IMG_0001.jpg")
    await expect(phone.get_by_role("alert")).to_contain_text("al eerder gelezen")

    # Two marks on one question: to review, not counted.
    await photograph(phone, doubt, "IMG_0002.jpg")
    await expect(phone.get_by_role("status")).to_contain_text("Formulier 2 gaat naar controle")
    await expect(phone.locator(".read-answers")).to_contain_text("een persoon bekijkt dit")
    await context.close()

    desk = await browser.new_page(locale="nl-NL", viewport={"width": 1280, "height": 900})
    await log_in(desk, daphne_url, organiser.username)
    slug = await sync_to_async(lambda: session.process.slug)()
    await desk.goto(f"{daphne_url}/manage/{slug}/sessions/{session.pk}/paper/")
    await desk.get_by_role("link", name="Formulier 2", exact=False).click()
    fieldset = desk.get_by_role("group", name=f"1. {question.text}")
    await expect(fieldset.locator(".crop-marked")).to_have_count(2)
    await expect(fieldset).to_contain_text("meer dan één kruisje")
    await no_axe_violations(desk)
    # One tap on what the person meant (the facilitator decides: the school), then confirm.
    await fieldset.get_by_label("Bij de school").check()
    await desk.get_by_role("button", name="Bevestigen en tellen").click()
    await expect(desk.locator(".message-success")).to_contain_text("Formulier 2 is geteld.")
    await expect(results).to_contain_text("Antwoorden: 2 (papier 2)")
    counted = await sync_to_async(
        lambda: sorted(Response.objects.values_list("sheet__serial", "sheet_entry__method"))
    )()
    assert counted == [(1, "photo"), (2, "resolution")]


async def test_the_facilitator_uploads_a_scanned_pdf_and_follows_it_to_the_summary(
    browser, daphne_url, filled_forms, organiser
):
    """The scan is read by a separate process (``read_scan``, started by the server);
    the page follows its progress and then shows the summary."""
    session, _question, park, doubt = filled_forms
    page = await browser.new_page(locale="nl-NL", viewport={"width": 1280, "height": 900})
    await log_in(page, daphne_url, organiser.username)
    slug = await sync_to_async(lambda: session.process.slug)()
    await page.goto(f"{daphne_url}/manage/{slug}/sessions/{session.pk}/paper/")
    await page.get_by_label("Een pdf van een scanner met ingevulde formulieren").set_input_files(
        files=[
            {
                "name": "scan.pdf",
                "mimeType": "application/pdf",
                "buffer": scanned_pdf([park, doubt]),
            }
        ]
    )
    await page.get_by_role("button", name="Formulieren lezen").click()
    summary = page.get_by_role("heading", name="Samenvatting")
    await expect(summary).to_be_visible(timeout=30_000)
    await expect(page.locator("#job-status")).to_contain_text("Pagina's: 2 van 2 (gelezen)")
    facts = page.locator("dl.facts")
    await expect(facts).to_contain_text("Formulieren geteld")
    await expect(page.get_by_role("cell", name="Formulier 1 is geteld.")).to_be_visible()
    await expect(
        page.get_by_role("cell", name="Formulier 2 gaat naar controle", exact=False)
    ).to_be_visible()
    await no_axe_violations(page)
    # The review is one click away.
    await page.get_by_role("link", name="Naar de controle").click()
    await expect(page.get_by_role("link", name="Formulier 2", exact=False)).to_be_visible()


async def test_a_photo_whose_qr_code_cannot_be_read_is_read_with_the_typed_code(
    browser, daphne_url, filled_forms
):
    """The QR code is blurred past reading; the teller types the code printed under it,
    on the phone, and the same photo is read with it (no new photo)."""
    session, question, _park, _doubt = filled_forms

    def blurred():
        sheet = session.sheets.get(serial=1)
        park = question.options.order_by("position")[1].pk
        shot = blurred_qr_photo(sheet, [("cross", question.pk, {"option": park})])
        return sheet.code, shot

    code, shot = await sync_to_async(blurred)()
    context = await browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone = await context.new_page()
    await log_in(phone, daphne_url, "tara")
    await phone.goto(f"{daphne_url}/t/s/{session.pk}/")
    await photograph(phone, shot, "IMG_0003.jpg")
    await expect(phone.get_by_role("alert")).to_contain_text("QR-code")
    field = phone.get_by_label("Formuliercode (onder de QR-code)")
    await expect(field).to_be_visible()
    # Read from the print under the QR code, and offered: the teller checks it.
    await expect(field).to_have_value(f"{code[:4]}-{code[4:]}")
    await expect(phone.get_by_label("Paginanummer", exact=False)).to_have_count(0)  # one page
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # fits the phone: nothing to scroll sideways
    await no_axe_violations(phone)
    await field.fill("ZZZZ-ZZZZ")
    await phone.get_by_role("button", name="Foto lezen met de code").click()
    await expect(phone.get_by_role("alert").last).to_contain_text("Er is geen formulier")
    await phone.get_by_label("Formuliercode (onder de QR-code)").fill(f"{code[:4]}-{code[4:]}")
    await phone.get_by_role("button", name="Foto lezen met de code").click()
    await expect(phone.locator(".message-success")).to_contain_text("Formulier 1 is geteld.")
    await expect(phone.locator(".read-answers")).to_contain_text("In het park")
    await context.close()
