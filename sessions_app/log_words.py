"""Plain words for the transparency log's action codes.

The log stores short codes (``paper.counted``) because they are hashed and must never
change; people read sentences. The public log page, the PDF report and anything else
that shows the log to residents or councillors say what happened with ``describe``, and
keep the code itself in a detail for those who verify.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

#: One sentence per action, in the past tense, saying what happened without jargon.
ACTION_WORDS = {
    "process.created": _("The process was created."),
    "process.edited": _("The description of the process was changed."),
    "process.imported": _("The process was set up from a design file."),
    "process.published": _("The process was published."),
    "process.closed": _("The process was closed."),
    "process.timeline_edited": _("The timeline of the process was changed."),
    "process.panel_edited": _("The panel of the process was changed."),
    "dossier.document_added": _("A document was added to the dossier."),
    "dossier.link_added": _("A link to a council document was added to the dossier."),
    "dossier.removed": _("A document or link was taken out of the dossier."),
    "process.decided": _("The council's decision was recorded."),
    "session.created": _("A session was planned."),
    "session.edited": _("The details of a session were changed."),
    "session.deleted": _("A planned session was removed."),
    "session.moved": _("The order of the sessions was changed."),
    "session.shown": _("The facilitator put a question on screen."),
    "session.ended": _("A session was ended."),
    "session.reopened": _("An ended session was reopened."),
    "question.created": _("A question was added."),
    "question.edited": _("A question was changed."),
    "question.deleted": _("A question was removed."),
    "question.moved": _("The order of the questions was changed."),
    "question.opened": _("A question was opened for answers."),
    "question.closed": _("A question was closed."),
    "question.reopened": _("A closed question was opened again."),
    "results.revealed": _("The results of a question were shown."),
    "results.hidden": _("The results of a question were hidden."),
    "response.counted": _("An answer was counted."),
    "response.held": _("An answer was held back for a moderator."),
    "statement.proposed": _("A participant proposed a statement."),
    "qna.asked": _("A participant asked the panel a question."),
    "qna.merged": _("A facilitator merged a question into the same question asked earlier."),
    "qna.pinned": _("A facilitator put a question to the panel on screen."),
    "qna.answered": _("The panel's answer to a question was recorded."),
    "moderation.approved": _("A moderator approved a contribution."),
    "moderation.hidden": _("A moderator hid a contribution, with a reason."),
    "participant.joined": _("A participant joined."),
    "participant.card": _("A participant joined with a printed card."),
    "cards.issued": _("Printed join cards were issued."),
    "card.resolved": _("A question about a printed card was settled."),
    "paper.printed": _("Paper forms were printed."),
    "paper.print_failed": _("Printing paper forms failed."),
    "paper.entered": _("A teller typed in a paper form."),
    "paper.verified": _("A second teller checked a paper form."),
    "paper.conflict": _("Two tellers read a paper form differently."),
    "paper.resolved": _("A difference between two tellers was settled."),
    "paper.counted": _("A paper form was counted."),
    "paper.read": _("A photo of a paper form was read."),
    "paper.code_typed": _("A teller typed the code of a form whose QR code could not be read."),
    "paper.reading_dropped": _("A photo reading was set aside."),
    "paper.reviewed": _("A teller reviewed a photo reading."),
    "paper.voided": _("A paper form was declared void."),
    "paper.reopened": _("Paper counting was opened again."),
    "paper.closed": _("Paper counting was closed."),
    "hands.counted": _("A show of hands was counted."),
    "follow_up.recorded": _("What was done with the input was recorded."),
    "staff.invited": _("A team member was invited."),
    "staff.invitation_used": _("A team member accepted an invitation."),
    "staff.granted": _("A team member was given a role."),
    "staff.revoked": _("A team member's role was taken away."),
    "content.erased": _("Personal text was erased on request or after the retention period."),
    "retention.purged": _("Data past its retention period was removed."),
    "followers.changed": _("The number of people following the process by e-mail changed."),
    "polis.imported": _("A conversation was imported from Polis."),
}


def describe(action: str) -> str:
    """The plain sentence for an action code; an unknown code (from a newer version, or
    a file made elsewhere) still reads as a sentence and names the code."""
    words = ACTION_WORDS.get(action)
    if words is not None:
        return str(words)
    return str(_("Another change (%(code)s).") % {"code": action})
