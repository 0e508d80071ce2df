from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app import checkpoints, merkle
from sessions_app.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Make a new Ed25519 key to sign the transparency logs (put it in SIGNING_KEY), or "
        "show the public key in use."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--public",
            action="store_true",
            help=gettext_lazy("show the public key and key id in use instead"),
        )

    def handle(self, *args, public=False, **options):
        if public:
            key = checkpoints.public_key()
            self.stdout.write(f"{key['public_key']} {key['key_id']}")
            return
        private = merkle.generate_private_key_b64()
        self.stdout.write(private)
        self.stderr.write(
            _("Public key %(public)s (id %(id)s). Keep the private key secret and stable.")
            % {
                "public": merkle.public_key_b64(private),
                "id": merkle.key_id(merkle.public_key_b64(private)),
            }
        )
