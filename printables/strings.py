"""Translated texts printed on paper. Called under ``translation.override`` with the
process's language, so a Dutch process prints Dutch forms whoever clicks the button."""

from django.utils.translation import gettext as _


def form_strings() -> dict:
    return {
        "instructions": _(
            "Put a cross in the box of your choice. Made a mistake? Fill that box in completely "
            "and put a cross in the right box. A filled box does not count."
        ),
        "example_cross": _("counts"),
        "example_filled": _("does not count"),
        "hint_single": _("Cross one box."),
        "hint_multiple": _("Cross at most {max} boxes."),
        "hint_scale": _("Cross one box."),
        "hint_ranking": _(
            "Give each item one place: 1 is the most important. One cross per row and per column."
        ),
        "hint_budget": _(
            "Divide {total} points. Write the points for each item, one digit per box."
        ),
        "budget_total": _("Together: {total}"),
        "hint_text": _("Write your answer in the box."),
        "hint_statements": _("Cross one box for each statement you want to answer."),
        "agree": _("agree"),
        "disagree": _("disagree"),
        "pass": _("pass"),
        "own_statement": _("A statement of your own (optional):"),
        "hint_qna": _(
            "Write one question to the panel in the box. A facilitator reads it before it is shown."
        ),
        "qna_to": _("For (optional, cross one):"),
        "page_of": _("page {page} of {pages}"),
        "form_number": _("form {number}"),
        "card": _("card {card}"),
        "card_title": _("Also answering on your phone?"),
        "card_hint": _(
            "Scan this code with your phone. Your phone and this form then count as one "
            "person, so you are never counted twice."
        ),
        "receipt_keep": _(
            "Tear off and keep this strip: your receipt. Hand in the rest of the form."
        ),
        "receipt_check": _("Check that your form counts: {url}"),
        "dossier_title": _("Background: the plan's dossier"),
    }


def poster_strings() -> dict:
    return {
        "join": _("Join in with your phone"),
        "scan": _("Scan the code with your phone's camera"),
        "or_go_to": _("or go to {url} and type the code"),
        "no_account": _("No account needed. No personal data is asked for."),
        "dossier_title": _("Background: the plan's dossier"),
        "card_title": _("Your attendee card"),
        "card_text": _(
            "Scan this code with your phone to take part, or type the code when you join. Your paper form carries the same code, so you count once."
        ),
    }


def follow_strings() -> dict:
    """The "follow this plan" slip."""
    return {
        "follow": _(
            "Follow this plan: scan the code or go to {url}. You will get an e-mail when "
            "something happens; you can stop at any time."
        ),
    }
