from django.db import models
from django.utils.translation import gettext_lazy as _

from .immutable import AppendOnlyModel


class TreeHead(AppendOnlyModel):
    """A signed tree head: "the log of this process had ``size`` entries with Merkle root
    ``root`` at ``at``", signed with the installation's Ed25519 key
    (``sessions_app.merkle``). Published on the public log page, in the Atom feed and in
    every export; whoever keeps one can later prove that the log was only appended to."""

    process = models.ForeignKey("Process", on_delete=models.PROTECT, related_name="tree_heads")
    size = models.PositiveIntegerField()
    root = models.CharField(max_length=64)
    #: The time exactly as signed (ISO 8601 UTC with microseconds and ``Z``).
    at = models.CharField(max_length=32)
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=100)

    class Meta:
        base_manager_name = "objects"
        verbose_name = _("signed tree head")
        ordering = ["process", "size"]
        constraints = [
            models.UniqueConstraint(fields=["process", "size"], name="treehead_size_unique"),
        ]

    def as_json(self) -> dict:
        return {
            "process": self.process.slug,
            "size": self.size,
            "root": self.root,
            "at": self.at,
            "key_id": self.key_id,
            "signature": self.signature,
        }
