"""A realistic Dutch town hall to try Inspraak with: one published process, a hybrid
evening session with all seven kinds of question, last week's meeting with the same
questions already answered from every source (``sessions_app.demo``), and a staff account
for every role."""

import secrets
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions_app.demo import fill_held_meeting, sample_form_photos
from sessions_app.demo_dossier import fill_dossier
from sessions_app.design import FORMAT
from sessions_app.management.base import TranslatedCommand
from sessions_app.models import LiveSession, Process, Role, SessionState
from sessions_app.services.design_io import process_import
from sessions_app.services.processes import process_publish
from sessions_app.services.staff import staff_grant
from sessions_app.staff_permissions import organise_grant

DEMO_TITLE = "Herinrichting Stationsplein Zuiderhaven"

ACCOUNTS = [
    ("organisator", Role.ORGANISER),
    ("gespreksleider", Role.FACILITATOR),
    ("teller", Role.TELLER),
    ("griffier", Role.REVIEWER),
]


def demo_design(today) -> dict:
    tz = ZoneInfo(settings.TIME_ZONE)
    evening = today + timedelta(days=7)
    starts = datetime.combine(evening, time(19, 30), tzinfo=tz)
    return {
        "format": FORMAT,
        "title": DEMO_TITLE,
        "language": "nl",
        "purpose": (
            "Het Stationsplein wordt in 2028 opnieuw ingericht. Nu is het vooral een plek "
            "waar je snel doorheen loopt: veel stenen, weinig groen en 's avonds slecht "
            "verlicht. Voordat de ontwerpers aan de slag gaan, willen we weten wat u als "
            "bewoner, ondernemer of reiziger belangrijk vindt."
        ),
        "level": "advise",
        "promise": (
            "Het college gebruikt de uitkomst als advies voor het ontwerp. In het "
            "raadsvoorstel staat per vraag wat er met de inbreng is gedaan; waar het "
            "college afwijkt, legt het uit waarom. Het budget (2,6 miljoen euro) en de "
            "ligging van de bushaltes liggen al vast."
        ),
        "decision_maker": "Gemeenteraad van Zuiderhaven",
        "paper_entry": "double",
        "card_rule": "latest_wins",
        "timeline": [
            {
                "date": evening.isoformat(),
                "label": "Bewonersavond in Wijkcentrum De Brug en online",
                "kind": "session",
            },
            {
                "date": (evening + timedelta(days=21)).isoformat(),
                "label": "Verslag en uitkomsten online",
                "kind": "follow_up",
            },
            {
                "date": (evening + timedelta(days=56)).isoformat(),
                "label": "Collegevoorstel met schetsontwerp",
                "kind": "plan",
            },
            {
                "date": (evening + timedelta(days=84)).isoformat(),
                "label": "Besluit gemeenteraad",
                "kind": "decision",
            },
        ],
        "panel": [
            {"name": "Wethouder Jansen", "role": "wethouder openbare ruimte"},
            {"name": "Fatima El Amrani", "role": "raadslid"},
            {"name": "Pieter de Boer", "role": "projectleider Stationsplein"},
        ],
        "sessions": [
            {
                "title": "Bewonersavond Stationsplein",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "venue": "Wijkcentrum De Brug, Kerkstraat 12",
                "mode": "hybrid",
                "remote_invitation": False,
                "questions": [
                    {
                        "kind": "single_choice",
                        "text": "Wat moet de belangrijkste functie van het nieuwe plein worden?",
                        "options": [
                            "Groene verblijfsplek met bomen en bankjes",
                            "Ruimte voor markt en evenementen",
                            "Meer plek om fietsen te parkeren",
                            "Kiss-and-ride en taxistandplaats",
                        ],
                    },
                    {
                        "kind": "multiple_choice",
                        "text": "Welke voorzieningen wilt u op het plein terugzien?",
                        "description": "Kies er maximaal twee.",
                        "options": [
                            "Overdekte fietsenstalling",
                            "Openbaar toilet",
                            "Speelplek voor kinderen",
                            "Watertappunt",
                            "Parkeerplek voor deelscooters",
                        ],
                        "max_choices": 2,
                    },
                    {
                        "kind": "scale",
                        "text": "Hoe veilig voelt u zich nu op het plein als het donker is?",
                        "min": 1,
                        "max": 5,
                        "min_label": "Heel onveilig",
                        "max_label": "Heel veilig",
                    },
                    {
                        "kind": "ranking",
                        "text": "Zet deze doelen in volgorde: wat is het belangrijkst?",
                        "options": [
                            "Verkeersveiligheid",
                            "Groen en schaduw",
                            "Toegankelijk voor rolstoel en rollator",
                            "Gezelligheid en horeca",
                        ],
                    },
                    {
                        "kind": "budget",
                        "text": "Verdeel 100 punten over de onderdelen van het ontwerp.",
                        "description": "Meer punten betekent: hier moet meer geld naartoe.",
                        "options": [
                            "Bomen en plantvakken",
                            "Verlichting",
                            "Fietsparkeren",
                            "Zitplekken",
                            "Kunstwerk",
                        ],
                        "total": 100,
                    },
                    {
                        "kind": "open_text",
                        "text": "Wat mogen de ontwerpers absoluut niet vergeten?",
                        "max_length": 500,
                    },
                    {
                        "kind": "statements",
                        "text": "Stellingen over het Stationsplein",
                        "statements": [
                            "Auto's horen niet op het plein.",
                            "De bomen langs het spoor moeten blijven staan.",
                            "Het plein moet 's avonds veel beter verlicht worden.",
                            "Een markt op zaterdag maakt het plein levendiger.",
                            "Fietsen moeten onder de grond geparkeerd worden.",
                            "Horeca op het plein geeft te veel overlast.",
                            "Kinderen moeten veilig kunnen spelen op het plein.",
                            "Het plein is vooral een plek om snel doorheen te lopen.",
                        ],
                        "participants_may_add": True,
                        "max_proposals": 60,
                        "level": "consult",
                        "promise": (
                            "De stellingen laten zien waar bewoners het over eens zijn en "
                            "waar de meningen uiteenlopen. Het is geen stemming; de "
                            "ontwerpers gebruiken het overzicht als achtergrond."
                        ),
                    },
                    {
                        "kind": "qna",
                        "text": "Vragen aan het panel",
                        "description": (
                            "Stel uw vraag aan de wethouder, het raadslid of de "
                            "projectleider. Stem op de vragen die u ook belangrijk vindt."
                        ),
                        "max_length": 300,
                        "max_proposals": 200,
                        "names": True,
                        "premoderate": True,
                        "upvotes": True,
                        "panel": ["Wethouder Jansen", "Fatima El Amrani", "Pieter de Boer"],
                    },
                ],
            }
        ],
    }


class Command(TranslatedCommand):
    help = gettext_lazy("Create (or refresh) the demo town hall and print how to log in.")

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--password",
            help=gettext_lazy("password for all demo accounts (a new random one if left out)"),
        )

    def handle(self, *args, base_url: str, password: str | None = None, **options):
        password = password or secrets.token_urlsafe(9)
        users = {}
        with transaction.atomic():
            for username, _role in ACCOUNTS:
                user, _created = get_user_model().objects.get_or_create(username=username)
                user.set_password(password)
                user.save()
                users[username] = user
            organiser = users["organisator"]
            organise_grant(organiser)
            process = Process.objects.filter(title=DEMO_TITLE).order_by("created_at").first()
            if process is None:
                process = process_import(user=organiser, data=demo_design(timezone.localdate()))
                for username, role in ACCOUNTS[1:]:
                    staff_grant(user=organiser, process=process, target=users[username], role=role)
                process_publish(user=organiser, process=process)
                fill_held_meeting(
                    process=process,
                    organiser=organiser,
                    facilitator=users["gespreksleider"],
                    teller=users["teller"],
                    base_url=base_url.rstrip("/"),
                )
                fill_dossier(process=process, organiser=organiser)
        # The upcoming evening, left fresh for trying a live session (not last week's).
        session = (
            LiveSession.objects.filter(process=process)
            .exclude(state=SessionState.ENDED)
            .order_by("position", "id")
            .first()
        )
        base = base_url.rstrip("/")
        out = self.stdout.write
        out(_("Demo town hall: %(title)s") % {"title": process.title})
        out(_("  Public page:        %(url)s") % {"url": f"{base}{process.get_absolute_url()}"})
        out(_("  Designer:           %(url)s") % {"url": f"{base}/manage/{process.slug}/"})
        out(_("  Staff login:        %(url)s") % {"url": f"{base}/accounts/login/"})
        out(
            _("  Console:            %(url)s")
            % {"url": f"{base}{reverse('live:console', args=[process.slug, session.pk])}"}
        )
        out(
            _("  Presenter screen:   %(url)s")
            % {"url": f"{base}{reverse('live:presenter', args=[session.join_code])}"}
        )
        out(
            _("  Phones join at:     %(url)s")
            % {"url": f"{base}{reverse('participate:join', args=[session.join_code])}"}
        )
        out(_("  Join code (phones): %(code)s") % {"code": session.join_code})
        held = (
            LiveSession.objects.filter(process=process, state=SessionState.ENDED)
            .order_by("starts_at")
            .last()
        )
        if held is not None and held.current_question_id:
            # An ended session's presenter shows the closing screen; the map of its
            # statements is on the public page.
            out(
                _("  Last week's map:    %(url)s")
                % {
                    "url": f"{base}{process.get_absolute_url()}"
                    f"#map-{held.current_question_id}-heading"
                }
            )
        if held is not None:
            out(
                _("  Last week's report: %(url)s")
                % {
                    "url": f"{base}"
                    f"{reverse('designer:session_report', args=[process.slug, held.pk])}"
                }
            )
        photos = sample_form_photos(
            session=session,
            organiser=users["organisator"],
            directory=Path(settings.MEDIA_ROOT) / "demo-photos",
            base_url=base,
        )
        out(
            _("  Photos of filled forms: %(count)d in %(path)s")
            % {"count": len(photos), "path": photos[0].parent}
        )
        out(
            _("    (read them as teller at %(url)s: “Photograph a form”, a photo a page)")
            % {"url": f"{base}{reverse('paper:teller_session', args=[session.pk])}"}
        )
        out(_("  Staff accounts, all with password %(password)s:") % {"password": password})
        for username, role in ACCOUNTS:
            out(f"    {username:<15} {Role(role).label}")
