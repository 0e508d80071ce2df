"""Translated strings for the small ES modules (``static/js``), passed to each page as
JSON. ``{name}`` marks a value the script fills in."""

from django.utils.translation import gettext as _


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
        "summary": _("{question}. Answers: {n}."),
        "open": _("open"),
        "closed": _("closed"),
        "draft": _("not yet opened"),
        **opinion_strings(),
    }


def opinion_strings() -> dict:
    return {
        "map": _("Opinion map"),
        "map_label": _(
            "Opinion map: {groups}. Each dot is a participant; dots close together voted alike."
        ),
        "group": _("Group {name}"),
        "group_size": _("Group {name}: {n} people"),
        "groups_none": _(
            "Groups appear once at least four people have each voted on {n} statements."
        ),
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
        "connecting": _("Connecting…"),
        "live": _("Live: your answers are counted at once."),
        "offline": _(
            "No connection. Your answers are kept on this phone and sent when the connection is back."
        ),
        "counted": _("Your answer has been counted."),
        "duplicate": _("Already received; it counts once."),
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
        "rank_help": _("Give every option a place: 1 is your first choice. Each place once."),
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
    }
