from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowingConfig(AppConfig):
    """Following a process by e-mail, without an account (``docs/following.md``): the
    addresses live here, in a table of their own, and nowhere else."""

    name = "following"
    verbose_name = _("Following by e-mail")
    default_auto_field = "django.db.models.BigAutoField"
