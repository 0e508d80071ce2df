"""Designer forms. They only parse input into specs; the rules live in ``rules.py`` and are
reported back onto fields through ``add_problems``."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from .exceptions import Problem
from .models import FollowUpOutcome, LiveSession, MilestoneKind, Process, QuestionKind, Role
from .models.choices import Level
from .privacy import retention_defaults
from .rules import (
    CONTINUING_CODES,
    PROPOSALS_DEFAULT,
    PROPOSALS_MAX,
    QNA_LENGTH_MAX,
    session_problems,
)
from .services.followups import REASONING_MAX
from .specs import (
    PROCESS_FIELDS,
    MilestoneSpec,
    OptionSpec,
    PanelMemberSpec,
    ProcessSpec,
    QuestionSpec,
    SessionSpec,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def sentence(text) -> str:
    """A message as people read it: a capital first and a full stop at the end. The rules
    word their messages as fragments, to follow a path in a design file's report."""
    text = str(text).strip()
    if not text:
        return text
    text = capfirst(text)
    return text if text[-1] in ".!?…" else f"{text}."


def problem_sentence(problem: Problem, subject="") -> str:
    """A problem as a sentence about ``subject`` (a field's label, a row), for example
    "Question is required."; without a subject the message alone, capitalised."""
    if subject and problem.code in CONTINUING_CODES:
        template = pgettext("a field's name, then what is wrong with it", "%(subject)s %(problem)s")
        return sentence(template % {"subject": subject, "problem": problem.message})
    return sentence(problem.message)


def add_problems(form: forms.BaseForm, problems: list[Problem], field_map: dict) -> None:
    """Attach problems (paths in the design file's names) to the form's fields, as
    sentences naming the field. A path mapped to ``None`` is shown elsewhere (e.g. beside
    a formset) and skipped here."""
    for problem in problems:
        head = problem.path.split("[")[0].split(".")[0]
        field = field_map.get(head, head)
        if head in field_map and field is None:
            continue
        if field in form.fields:
            form.add_error(field, problem_sentence(problem, form.fields[field].label))
        else:
            form.add_error(None, problem_sentence(problem))


class LabelsMixin:
    """Field labels start with a capital, as Django does for model fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.label:
                field.label = capfirst(field.label)


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = list(PROCESS_FIELDS)
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 4}),
            "promise": forms.Textarea(attrs={"rows": 3}),
            "level": forms.RadioSelect,
        }
        help_texts = {
            "purpose": _("Why this process exists and what is at stake, in plain language."),
            "promise": _(
                "What will be done with the input. Participants see this before they answer."
            ),
            "decision_maker": _(
                "For example: the municipal council, or the alderman for public space."
            ),
            "level": _("How much say participants have: the rung of the participation ladder."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = retention_defaults()
        self.fields["retention_photos_days"].help_text = _(
            "Empty: this site's default, %(n)d days. After this, photos and scans of the "
            "forms are deleted; what was read from them stays."
        ) % {"n": defaults.photos_days}
        self.fields["retention_texts_months"].help_text = _(
            "Empty: this site's default, %(n)d months. After this, what people wrote in "
            "their own words is erased; the counts stay."
        ) % {"n": defaults.texts_months}

    FIELD_MAP = {"paper_entry": "entry_mode"}

    def to_spec(self) -> ProcessSpec:
        data = self.cleaned_data
        return ProcessSpec(**{name: data[name] for name in PROCESS_FIELDS})


class MilestoneForm(LabelsMixin, forms.Form):
    date = forms.DateField(
        label=_("date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    label = forms.CharField(label=_("what happens"), max_length=200)
    #: Not required: a form posted without it (an older page, a script) makes "other".
    kind = forms.ChoiceField(
        label=_("type of step"),
        choices=MilestoneKind.choices,
        initial=MilestoneKind.OTHER,
        required=False,
    )

    def has_changed(self):
        # A row is a step once it has a date or a text; its type alone (a select always
        # sends one) leaves an empty row skipped.
        return bool({"date", "label", "DELETE"} & set(self.changed_data))


class MilestoneBaseFormSet(forms.BaseFormSet):
    #: What the error summary calls the table (``{% error_summary %}``).
    caption = _("Timeline")

    def kind_labels(self) -> str:
        """The types of step as the row's choice names them, for the help text."""
        return ", ".join(str(label) for _value, label in MilestoneKind.choices)


#: Blank rows after the steps (left empty, they are skipped): without JavaScript, where
#: "Add a row" cannot add one on the page, as many new steps (or panel members) at once.
EXTRA_ROWS = 4

MilestoneFormSet = forms.formset_factory(
    MilestoneForm, formset=MilestoneBaseFormSet, extra=EXTRA_ROWS, can_delete=True, max_num=50
)


def milestone_specs(formset) -> list[MilestoneSpec]:
    return [
        MilestoneSpec(
            date=form.cleaned_data["date"],
            label=form.cleaned_data["label"],
            kind=form.cleaned_data.get("kind") or MilestoneKind.OTHER,
        )
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class PanelMemberForm(LabelsMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    role = forms.CharField(label=_("role"), max_length=120, required=False)


class PanelBaseFormSet(forms.BaseFormSet):
    #: What the error summary calls the table (``{% error_summary %}``).
    caption = _("Panel")


PanelFormSet = forms.formset_factory(
    PanelMemberForm, formset=PanelBaseFormSet, extra=EXTRA_ROWS, can_delete=True, max_num=30
)


def panel_specs(formset) -> list[PanelMemberSpec]:
    return [
        PanelMemberSpec(name=form.cleaned_data["name"], role=form.cleaned_data.get("role", ""))
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class LiveSessionForm(forms.ModelForm):
    class Meta:
        model = LiveSession
        fields = ["title", "starts_at", "ends_at", "venue", "mode", "remote_invitation"]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_FORMAT
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_FORMAT
            ),
            "mode": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            # Report rule problems on their fields before the model's own constraint check.
            add_problems(self, session_problems(self.to_spec()), {})
        return data

    def to_spec(self) -> SessionSpec:
        return SessionSpec(**{name: self.cleaned_data.get(name) for name in self.Meta.fields})


class QuestionForm(LabelsMixin, forms.Form):
    """All settings of all kinds; the template shows those of the chosen kind."""

    # Capitalised as in the process page's "Add a question of kind" menu.
    kind = forms.ChoiceField(
        label=_("kind"), choices=[(value, capfirst(label)) for value, label in QuestionKind.choices]
    )
    #: The kind the form was shown for (its settings' groups): without JavaScript, a kind
    #: chosen since is not saved before its settings have been shown (``kind_changed``).
    rendered_kind = forms.CharField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label=_("question"), max_length=500)
    description = forms.CharField(
        label=_("explanation (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    max_choices = forms.IntegerField(
        label=_("maximum number of choices"), required=False, min_value=1
    )
    scale_min = forms.IntegerField(label=_("lowest value"), required=False)
    scale_max = forms.IntegerField(label=_("highest value"), required=False)
    min_label = forms.CharField(label=_("label of the lowest value"), required=False, max_length=80)
    max_label = forms.CharField(
        label=_("label of the highest value"), required=False, max_length=80
    )
    budget_total = forms.IntegerField(label=_("total to spend"), required=False)
    budget_unit = forms.CharField(
        label=_("unit (optional)"),
        required=False,
        max_length=20,
        help_text=_("What the total is counted in, such as euro. Empty means points."),
    )
    max_length = forms.IntegerField(
        label=_("maximum length (characters)"), required=False, min_value=1
    )
    participants_may_add = forms.BooleanField(
        label=_("participants may add statements"), required=False
    )
    max_proposals = forms.IntegerField(
        label=_("most proposals from phones"),
        required=False,
        min_value=1,
        max_value=PROPOSALS_MAX,
        help_text=_(
            "A moderation setting: once this many statements have been proposed, phones "
            "can propose no more. Paper forms are not limited."
        ),
    )
    qna_max_length = forms.IntegerField(
        label=_("longest question (characters)"),
        required=False,
        min_value=1,
        max_value=QNA_LENGTH_MAX,
    )
    qna_names = forms.BooleanField(
        label=_("askers may give a display name"),
        required=False,
        help_text=_("Otherwise every question is anonymous."),
    )
    qna_premoderate = forms.BooleanField(
        label=_("approve questions before they are shown"), required=False
    )
    qna_upvotes = forms.BooleanField(label=_("participants may upvote questions"), required=False)
    panel = forms.MultipleChoiceField(
        label=_("panel members residents may address"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The panel is set on the process page."),
    )
    level = forms.ChoiceField(
        label=_("participation level for this question"),
        required=False,
        choices=[("", _("same as the process")), *Level.choices],
    )
    promise = forms.CharField(
        label=_("promise for this question (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when it differs from the process's promise."),
    )

    evaluation = forms.BooleanField(
        label=_("part of the session's evaluation"),
        required=False,
        help_text=_(
            "Asked like any question, but kept apart from the process's results: shown in "
            "the session report."
        ),
    )

    #: design-file field → form field
    FIELD_MAP = {
        "min": "scale_min",
        "max": "scale_max",
        "total": "budget_total",
        "unit": "budget_unit",
        "options": None,
        "statements": None,
        "names": "qna_names",
        "premoderate": "qna_premoderate",
        "upvotes": "qna_upvotes",
    }

    def __init__(self, *args, panel_names=(), locked=(), **kwargs):
        """``locked``: the fields shown read-only and kept as they were (the wording of a
        question that has been asked, ``services.questions.WORDING_FIELDS``)."""
        super().__init__(*args, **kwargs)
        self.fields["panel"].choices = [(name, name) for name in panel_names]
        for name in locked:
            self.fields[name].disabled = True

    def kind_changed(self) -> bool:
        """Whether the kind was changed after the form was shown (and so its settings were
        not: without JavaScript the groups of other kinds are hidden)."""
        field = self.fields["kind"]
        rendered = self.data.get(self.add_prefix("rendered_kind"), "")
        chosen = self.data.get(self.add_prefix("kind"), "")
        return (
            self.is_bound
            and not field.disabled
            and chosen in QuestionKind.values
            and rendered in QuestionKind.values
            and chosen != rendered
        )

    def to_spec(self, options: list[OptionSpec]) -> QuestionSpec:
        data = self.cleaned_data
        return QuestionSpec(
            kind=data["kind"],
            text=data["text"],
            description=data["description"],
            options=options,
            max_choices=data["max_choices"],
            scale_min=data["scale_min"],
            scale_max=data["scale_max"],
            min_label=data["min_label"],
            max_label=data["max_label"],
            budget_total=data["budget_total"],
            budget_unit=data["budget_unit"],
            max_length=data["qna_max_length"]
            if data["kind"] == QuestionKind.QNA
            else data["max_length"],
            participants_may_add=data["participants_may_add"],
            max_proposals=data["max_proposals"] or PROPOSALS_DEFAULT,
            level=data["level"],
            promise=data["promise"],
            qna_names=data["qna_names"],
            qna_premoderate=data["qna_premoderate"],
            qna_upvotes=data["qna_upvotes"],
            panel=list(data["panel"]),
            evaluation=data["evaluation"],
        )


class OptionForm(LabelsMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label=_("text"), max_length=500, required=False)


OptionFormSet = forms.formset_factory(
    OptionForm, extra=3, can_delete=True, can_order=True, max_num=300, absolute_max=310
)

#: How many option rows a new question of each kind usually needs: it starts with that
#: many, and an existing one gets at least one empty row more than it has.
USUAL_OPTION_ROWS = {
    QuestionKind.SINGLE_CHOICE: 4,
    QuestionKind.MULTIPLE_CHOICE: 5,
    QuestionKind.RANKING: 5,
    QuestionKind.BUDGET: 4,
    QuestionKind.STATEMENTS: 6,
}


def option_formset(
    kind: str, initial: list[dict], *, data=None, more: int = 0, locked: bool = False
):
    """The option rows of a question: the saved options plus empty rows up to the kind's
    usual size (at least one); or, asked for ``more``, the rows as typed and that many.
    ``locked`` (a question that has been asked): the saved options only, read-only."""
    empty = 0 if locked else more or max(USUAL_OPTION_ROWS.get(kind, 3) - len(initial), 1)
    formset_class = forms.formset_factory(
        OptionForm,
        extra=empty,
        can_delete=True,
        can_order=True,
        max_num=OptionFormSet.max_num,
        absolute_max=OptionFormSet.absolute_max,
    )
    formset = formset_class(None if locked else data, initial=initial, prefix="options")
    if locked:
        for row in formset.forms:
            for field in row.fields.values():
                field.disabled = True
    return formset


def option_rows_typed(data, prefix: str = "options") -> list[dict]:
    """The rows as typed in a submitted option formset, read without validating: to show
    them again with one more empty row (the "add a row" button without JavaScript)."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), OptionFormSet.absolute_max)
    except ValueError:
        total = 0
    rows = []
    for index in range(max(total, 0)):
        field = f"{prefix}-{index}-"
        rows.append(
            {
                "id": data.get(f"{field}id") or None,
                "text": data.get(f"{field}text", ""),
                "ORDER": data.get(f"{field}ORDER") or None,
                "DELETE": bool(data.get(f"{field}DELETE")),
            }
        )
    return rows


def option_rows(formset) -> list[forms.Form]:
    """The filled-in rows of a valid option formset, in their chosen order: the order of
    the specs ``option_specs`` makes, so a problem at ``options[i]`` belongs to row ``i``."""
    rows = [
        form
        for form in formset.forms
        if form.cleaned_data
        and not form.cleaned_data.get("DELETE")
        and form.cleaned_data.get("text", "").strip()
    ]
    rows.sort(
        key=lambda form: (
            form.cleaned_data.get("ORDER") is None,
            form.cleaned_data.get("ORDER") or 0,
        )
    )
    return rows


def option_specs(formset) -> list[OptionSpec]:
    return [
        OptionSpec(text=form.cleaned_data["text"], id=form.cleaned_data.get("id"))
        for form in option_rows(formset)
    ]


class StaffGrantForm(LabelsMixin, forms.Form):
    username = forms.CharField(label=_("user name"), max_length=150)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices, initial=Role.FACILITATOR)


class InvitationForm(LabelsMixin, forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices, initial=Role.FACILITATOR)
    note = forms.CharField(
        label=_("for whom (note)"),
        max_length=120,
        required=False,
        help_text=_("Only for you, to recognise the link later."),
    )


class ImportForm(LabelsMixin, forms.Form):
    file = forms.FileField(label=_("design file (JSON)"))


class FollowUpForm(LabelsMixin, forms.Form):
    """What was done with the input, for one question or (left empty) the whole process."""

    question = forms.TypedChoiceField(
        label=_("about"), coerce=int, empty_value=None, required=False
    )
    outcome = forms.ChoiceField(
        label=_("what was done with the input"),
        choices=FollowUpOutcome.choices,
        widget=forms.RadioSelect,
    )
    reasoning = forms.CharField(
        label=_("reasoning"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=REASONING_MAX,
        help_text=_("In plain words: what was decided, and how the input weighed in."),
    )
    decided_on = forms.DateField(
        label=_("date of the decision"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = [
            ("", _("the process as a whole")),
            *((q.pk, f"{q.session.title}: {q.text}") for q in questions),
        ]


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)
