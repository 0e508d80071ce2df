from django.db import models
from django.utils.translation import gettext_lazy as _


class ErasureReason(models.TextChoices):
    REQUEST = "request", _("erasure request")
    RETENTION = "retention", _("retention period ended")
    MODERATION = "moderation", _("moderation")


class TextKind(models.TextChoices):
    """Which text of its row a ``TextContent`` holds."""

    TEXT = "text", _("text")
    PROPOSAL = "proposal", _("proposed statement")
    REASON = "reason", _("moderation reason")
    NAME = "name", _("display name")


class TextContent(models.Model):
    """One piece of free text a person wrote (an open answer, a proposed statement, a
    moderation reason), kept apart from the evidence so that it can be erased.

    The transparency log holds only its ``commitment``: the SHA-256 of the random
    ``salt`` followed by the text (``logchain.text_commitment``). Whoever has the text and
    the salt can show that the log vouched for exactly this text; whoever has the log alone
    learns nothing of it. Erasure empties ``text`` and ``salt`` (and the readable copies on
    the rows below) and logs ``content.erased``: the chain still holds, the commitment
    stays, and no one can recover the text from it.

    The rows that show the text keep a copy of it, which the verifier checks against this
    row: an answer (``response``), a statement (``option``) and a paper entry's answer to
    one question (``entry`` and ``entry_question``). One text can be on several rows: a
    paper answer is the accepted entry's text, a proposal on paper becomes a statement.
    """

    process = models.ForeignKey("Process", on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=10, choices=TextKind.choices, default=TextKind.TEXT)
    commitment = models.CharField(max_length=64, unique=True)
    salt = models.CharField(max_length=32, blank=True)
    text = models.TextField(blank=True)
    response = models.ForeignKey(
        "Response", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    option = models.ForeignKey(
        "Option", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.ForeignKey(
        "SheetEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry_question = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    erased_at = models.DateTimeField(null=True, blank=True)
    erased_reason = models.CharField(max_length=12, choices=ErasureReason.choices, blank=True)

    class Meta:
        verbose_name = _("text")
        indexes = [
            models.Index(fields=["response"], name="textcontent_response"),
            models.Index(fields=["option"], name="textcontent_option"),
            models.Index(fields=["entry"], name="textcontent_entry"),
            models.Index(fields=["process", "erased_at"], name="textcontent_process_erased"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=True, erased_reason="")
                | models.Q(erased_at__isnull=False, text="", salt="") & ~models.Q(erased_reason=""),
                name="textcontent_erased_is_empty",
            ),
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=False) | ~models.Q(salt=""),
                name="textcontent_salt_present",
            ),
        ]

    def __str__(self) -> str:
        return self.commitment[:12]

    @property
    def erased(self) -> bool:
        return self.erased_at is not None
