"""Prepare the test provider's database: ``python -m tests.oidc_provider.bootstrap setup``
reads a JSON spec on standard input (client, redirect URIs, users) and migrates, registers
the client and creates the users; ``... allow URI`` adds a redirect URI to the client.
Run with the same environment as the provider's server (``fixtures.py``)."""

import json
import os
import sys


def setup(spec: dict) -> None:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    from tests.oidc_provider.claims import UNVERIFIED_GROUP

    call_command("migrate", verbosity=0, interactive=False)
    owner = User.objects.create_user("provider-admin", password=None)
    Application.objects.create(
        name="Inspraak",
        user=owner,
        client_id=spec["client_id"],
        client_secret=spec["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(spec["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    unverified = Group.objects.create(name=UNVERIFIED_GROUP)
    for person in spec["users"]:
        user = User.objects.create_user(
            person["username"], email=person["email"], password=person["password"]
        )
        if not person.get("verified", True):
            user.groups.add(unverified)


def allow(client_id: str, uri: str) -> None:
    from oauth2_provider.models import Application

    application = Application.objects.get(client_id=client_id)
    application.redirect_uris = f"{application.redirect_uris} {uri}".strip()
    application.save(update_fields=["redirect_uris"])


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    import django

    django.setup()
    if argv[0] == "setup":
        setup(json.load(sys.stdin))
    elif argv[0] == "allow":
        allow(argv[1], argv[2])
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
