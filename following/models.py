"""The followers of processes, apart from everything else: the only table that holds their
e-mail addresses, never exported, logged, shown or in the admin. A row is deleted on
unsubscribe, and an unconfirmed one when it expires (``manage.py purge``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Follower(models.Model):
    """One e-mail address following one process: asked for (double opt-in), then
    confirmed. ``digest`` is an HMAC of the address keyed by ``SECRET_KEY``, so that an
    address follows a process once without the constraint reading the address."""

    process = models.ForeignKey("sessions_app.Process", on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=254)
    digest = models.CharField(max_length=64)
    #: Where the links in this follower's mails point: ``SITE_URL``, or the site the
    #: request came in on.
    base_url = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    #: The latest request to follow: a confirmation mail is due while it is later than
    #: ``confirm_sent_at`` (or none was sent).
    requested_at = models.DateTimeField()
    confirm_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    #: When an unconfirmed row goes (None once confirmed).
    expires_at = models.DateTimeField(null=True, blank=True)
    #: The process's log sequence number up to which news was sent to this follower.
    sent_seq = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [
            models.UniqueConstraint(fields=["process", "digest"], name="follower_once"),
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=False) | models.Q(expires_at__isnull=False),
                name="follower_unconfirmed_expires",
            ),
        ]
        indexes = [
            models.Index(fields=["process", "confirmed_at"], name="follower_process_confirmed"),
            models.Index(fields=["expires_at"], name="follower_expires"),
        ]

    def __str__(self) -> str:  # never the address
        return f"follower {self.pk}"

    def __repr__(self) -> str:
        return f"<Follower {self.pk}>"


class Token(models.Model):
    """A link's secret, stored as its SHA-256 only: the confirm link of a confirmation mail,
    or the unsubscribe link of any mail (one per mail, each valid until the follower is
    deleted). The raw token exists only in the mail."""

    CONFIRM, STOP = "confirm", "stop"
    PURPOSES = [(CONFIRM, "confirm"), (STOP, "stop")]

    follower = models.ForeignKey(Follower, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=8, choices=PURPOSES)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follower's link")
        verbose_name_plural = _("followers' links")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=["confirm", "stop"]), name="token_purpose_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} link {self.pk}"
