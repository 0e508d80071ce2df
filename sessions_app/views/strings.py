"""Translated strings for the small ES modules (``static/js``), passed to each page as
JSON. ``{name}`` marks a value the script fills in."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def results_strings() -> dict:
    return {
        "room": _("in the room"),
        "remote": _("remote"),
        "paper": _("paper"),
        "hands": _("hands"),
        "answers": _("Answers: {n}"),
        "hidden": _("Results are hidden until the facilitator shows them."),
        "mean": _("mean {mean}, median {median}"),
        "points": _("{points} points"),
        "mean_rank": _("average place {rank}"),
        "average": _("average {average} of {total} points"),
        "agree": _("Agree"),
        "disagree": _("Disagree"),
        "pass": _("Pass"),
        "no_texts": _("No answers on the wall yet."),
        "provisional": _("Provisional: paper forms are still being counted."),
        # {question} ends with its own full stop or question mark.
        "summary": _("{question} Answers: {n}."),
        "open": _("open"),
        "closed": _("closed"),
        "draft": _("not yet opened"),
        # questions to the panel
        "no_questions": _("No questions asked yet."),
        "to_member": _("to {name}"),
        "on_paper": _("from the room, on paper"),
        "merged_n": _("{n} merged"),
        "erased": _("(text erased)"),
        "votes_n": _("{n} votes"),
        "answer_summary": _("answered"),
        "answer_in_room": _("answered in the room"),
        "answer_in_writing": _("answer in writing promised"),
        "answer_written": _("answered in writing"),
        "pinned_now": _("Being answered now"),
        "asked_n": _("Questions on the list: {n}"),
        **opinion_strings(),
    }


def opinion_strings() -> dict:
    none_one, none = _one_other(groups_none)
    return {
        "map": _("Opinion map"),
        "map_label": _(
            "Opinion map: {groups}. Each dot is a participant; dots close together voted alike."
        ),
        "group": _("Group {name}"),
        "group_size": _("Group {name}: {n} people"),
        # A script chooses: groups_none_one for 1 statement, groups_none for more.
        "groups_none_one": none_one,
        "groups_none": none,
        "groups_why": _(
            "{n} groups: silhouette {score}. Other numbers of groups: {others}. More "
            "groups are shown only when they separate clearly better."
        ),
        "groups_needed_one": _("One more vote is needed."),
        "groups_needed": _("{n} more votes are needed."),
        "groups_alike": _("Everyone has voted alike so far: there are no groups yet."),
        "common": _("Common ground"),
        "common_none": _("No statement has the agreement of every group yet."),
        "divisive": _("Where the groups differ"),
        "agrees": _("agrees {percent}%"),
        "disagrees": _("disagrees {percent}%"),
        "agree_share": _("{percent}% agree"),
        "group_agree": _("{name}: {percent}%"),
        "you": _("You are here"),
        "your_group": _("You are in group {name}. What sets your group apart:"),
        "not_placed": _("Vote on {n} more statements to appear on the map."),
    }


def phone_strings() -> dict:
    return {
        **results_strings(),
        "new_question": _("New question: {text}"),
        "closed_now": _("Closed: {text}"),
        "connecting": _("Connecting…"),
        "live": _("Live: your answers are counted at once."),
        "offline": _(
            "No connection. Your answers are kept on this phone and sent when the connection is back."
        ),
        "counted": _("Your answer has been counted."),
        "duplicate": _("Already received; it counts once."),
        # a Q&A round
        "qna_your_question": _("Your question to the panel"),
        "qna_moderated": _("A facilitator reads each question before it is shown."),
        "qna_max": _("At most {max} characters."),
        "qna_max_one": _("At most 1 character."),
        "qna_waiting": _("Your question “{text}” waits for a facilitator."),
        "qna_to": _("To (optional)"),
        "qna_whole_panel": _("the whole panel"),
        "qna_name": _("Your name as shown (optional)"),
        "qna_name_help": _(
            "Leave it empty to ask anonymously. A name is shown with your question and can "
            "be erased on request."
        ),
        "qna_ask": _("Ask the question"),
        "qna_by_votes": _("Most votes first"),
        "qna_by_time": _("Newest first"),
        "qna_count": _("{n} questions asked"),
        "qna_count_one": _("{n} question asked"),
        "qna_yours": _("Your question"),
        "qna_votes_one": _("{n} vote"),
        "qna_upvote": _("Upvote"),
        "qna_withdraw": _("Withdraw my vote"),
        "qna_none": _("No questions yet. Be the first to ask one."),
        "qna_held": _("Thank you. Your question is shown once a facilitator has read it."),
        "qna_shown": _("Thank you. Your question is on the list."),
        "qna_upvoted": _("Your upvote counts."),
        "qna_withdrawn": _("Your upvote has been withdrawn."),
        "held": _("Thank you. Your statement is shown to others once a facilitator has read it."),
        "rejected": _("Not counted: {reason}"),
        "queued": _("Saved on this phone; it is sent when the connection is back."),
        "send": _("Send answer"),
        "change": _("Change my answer"),
        "waiting": _("Waiting for the next question. It appears here by itself."),
        "closed_question": _("This question is closed."),
        "soon": _("This question opens soon."),
        "choose_one": _("Choose one."),
        "choose_max": _("Choose at most {max} options."),
        "choose_max_one": _("Choose at most 1 option."),
        "ranking_invalid": _("Give each option a different place, starting at 1, without gaps."),
        "rank_help": _(
            "Number the options in your order: 1 is your first choice. Use each place once, from 1 up; you may leave options out."
        ),
        "budget_help": _("Divide exactly {total} points over the options."),
        "budget_left": _("{left} points left to divide."),
        "text_help": _(
            "At most {max} characters. A facilitator reads answers before they are shown on the screen."
        ),
        "your_answer": _("Your answer"),
        "statements_help": _(
            "Do you agree? Answer the statements you want to; pass if you are unsure."
        ),
        "statement_of": _("Statement {n} of {total}"),
        "all_voted": _("You have voted on every statement. New ones appear here."),
        "my_votes": _("Your votes ({n})"),
        "add_statement": _("Add a statement of your own (optional)"),
        "add_help": _("New statements are shown to others after a facilitator has read them."),
        "propose": _("Send statement"),
        "results": _("Results"),
        "ended": _("This session has ended."),
        "receipt_check": _("Check"),
        "receipts_file": _(
            "Receipts of your answers. Check one at {url} (the code is not stored there)."
        ),
        **phone_evening_strings(),
    }


def console_strings() -> dict:
    return {
        **results_strings(),
        "connecting": _("Connecting…"),
        "live": _("Live"),
        "offline": _("No connection; trying again. Buttons still work."),
        "connected": _("{phones} phones connected ({room} in the room, {remote} remote)"),
        "connected_one": _("{phones} phone connected ({room} in the room, {remote} remote)"),
        "join_spike": _(
            "{n} phones joined from one network in the last minute: one Wi-Fi for the whole "
            "room, or someone joining over and over. From 600 a minute, further phones from "
            "that network wait."
        ),
        "failed": _("Not done: {reason}"),
        "approve": _("Approve"),
        "hide": _("Hide"),
        "reason": _("Reason for hiding"),
        "nothing_waiting": _("Nothing is waiting."),
        "shown": _("on screen"),
        "revealed": _("results shown"),
        "hidden_results": _("results hidden"),
        "ended": _("This session has ended."),
        **console_evening_strings(),
    }


def hands_rule() -> str:
    return _("Show of hands: only for those who did not vote on a phone or on paper.")


def console_evening_strings() -> dict:
    return {
        "results_hidden": _(
            "Opened again. Its results are hidden now, so nobody sees them before voting "
            "again; show them when you are ready."
        ),
        "cancel": _("Cancel"),
        "end_title": _("End this session?"),
        "end_text": _(
            "Open questions close and phones can no longer join or answer. The presenter "
            "shows a closing screen. You can reopen the session within {minutes} minutes."
        ),
        "end_confirm": _("End session"),
        "paper_title": _("Close paper counting?"),
        "paper_confirm": _("Close paper counting anyway"),
        "waiting_one": _("1 waiting"),
        "waiting": _("{n} waiting"),
        "question_label": _("Question"),
        "moderation_empty": _("nothing waiting"),
    }


def presenter_strings() -> dict:
    return {"hands_rule": hands_rule()}


def log_check_strings() -> dict:
    """The public log's check in the browser (``static/js/verify-log.js``)."""
    return {
        "checking": _("Checking… {n} entries so far."),
        "ok": _("All {n} entries check out; the chain ends at {head}."),
        "empty": _("The log has no entries yet."),
        "broken": _("Entry {seq} does not check out: {reason}"),
        "seq_gap": _("an entry is missing or out of order."),
        "prev_mismatch": _("its previous hash does not match the entry before it."),
        "hash_mismatch": _("its content does not match its hash."),
        "unreadable": _("the entry cannot be read."),
        "head_mismatch": _(
            "the log ends at {head}, not at the head shown on this page ({expected})."
        ),
        "short": _("the log stops after {n} entries; this page says it holds {expected}."),
        "failed": _("The check could not be done: {reason}"),
        "fetch_failed": _("the log could not be fetched."),
        "no_crypto": _(
            "This browser cannot compute hashes on this page (it needs a secure HTTPS "
            "connection). Use the command line instead, as described below."
        ),
    }


def groups_none(n: int) -> str:
    """Why a map has no groups yet, for ``n`` statements; ``{n}`` is left to fill in."""
    return ngettext(
        "Groups appear once at least four people have each voted on {n} statement.",
        "Groups appear once at least four people have each voted on {n} statements.",
        n,
    )


def _one_other(forms) -> tuple[str, str]:
    """A plural message's forms for 1 and for more, for a script to choose from (Dutch
    and English have just these two). ``forms`` calls ``ngettext`` itself, so that
    makemessages finds the message."""
    return forms(1), forms(2)


def phone_evening_strings() -> dict:
    left_one, left = _one_other(
        lambda n: ngettext("{n} point left to divide.", "{n} points left to divide.", n)
    )
    over_one, over = _one_other(
        lambda n: ngettext("{n} point too many.", "{n} points too many.", n)
    )
    done_one, done = _one_other(
        lambda n: ngettext("All {n} point is divided.", "All {n} points are divided.", n)
    )
    help_one, help_ = _one_other(
        lambda n: ngettext(
            "Divide exactly {n} point over the options.",
            "Divide exactly {n} points over the options.",
            n,
        )
    )
    amount_one, amount = _one_other(lambda n: ngettext("{n} point", "{n} points", n))
    return {
        "your_answer_is": _("Your answer:"),
        "may_change": _("You may change it while the question is open."),
        "budget_left_one": left_one,
        "budget_left_n": left,
        "budget_over_one": over_one,
        "budget_over_n": over,
        "budget_done_one": done_one,
        "budget_done_n": done,
        "budget_help_one": help_one,
        "budget_help_n": help_,
        "budget_left_unit": _("{n} {unit} left to divide."),
        "budget_over_unit": _("{n} {unit} too many."),
        "budget_done_unit": _("All {n} {unit} are divided."),
        "budget_help_unit": _("Divide exactly {n} {unit} over the options."),
        "amount_one": amount_one,
        "amount_n": amount,
        "amount_unit": _("{n} {unit}"),
        "points_word": _("points"),
        "rank_tap_help": _(
            "Tap the options in the order you prefer them, your first choice first. Tap a "
            "numbered option again to take it out."
        ),
        "rank_item": _("{option}: place {n}"),
        "rank_placed": _("{option} is in place {n}."),
        "rank_removed": _("{option} is taken out; the options after it moved up."),
        "rank_cleared": _("All places are cleared."),
        "rank_again": _("Start again"),
    }
