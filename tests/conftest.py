"""Shared fixtures. Data is set up through the real services, as a user would create it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from sessions_app.models import Role
from sessions_app.services.live_sessions import live_session_create
from sessions_app.services.processes import process_create
from sessions_app.services.questions import question_create
from sessions_app.services.staff import staff_grant
from sessions_app.specs import OptionSpec, ProcessSpec, QuestionSpec, SessionSpec

AMS = ZoneInfo("Europe/Amsterdam")
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session", autouse=True)
def _no_connections_left(django_db_setup, django_db_blocker):
    """Connections of other threads (the writer's, asgiref's shared thread, the pages'
    threads) would still be open when PostgreSQL is asked to drop the test database."""
    yield
    from django.db import connection

    from sessions_app import writer

    writer.close_connections()
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read messages in English unless they choose a language; Dutch is covered by
    the browser tests and the i18n tests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_service_caches():
    """A rolled-back test leaves its keys free for the next one's other rows: what the
    services keep per server process must not carry over."""
    from django.core.cache import cache

    from sessions_app.services import caches_clear

    caches_clear()
    cache.clear()  # rate limits and join counters
    yield
    caches_clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path_factory):
    """Print runs write PDFs under MEDIA_ROOT: keep them out of the working tree."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Password hashing is deliberately slow; tests create many accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Templates use {% static %}; the manifest storage needs collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_user(db):
    def make(username: str):
        return get_user_model().objects.create_user(username=username, password=PASSWORD)

    return make


@pytest.fixture
def organiser(make_user):
    from sessions_app.staff_permissions import organise_grant

    user = make_user("olga")
    organise_grant(user)
    return user


def full_process_spec(**overrides) -> ProcessSpec:
    values = {
        "title": "Herinrichting Stationsplein",
        "language": "nl",
        "purpose": "Het plein wordt opnieuw ingericht.",
        "level": "consult",
        "promise": "De raad weegt de uitkomst mee.",
        "decision_maker": "Gemeenteraad",
    }
    values.update(overrides)
    return ProcessSpec(**values)


@pytest.fixture
def make_process(organiser):
    def make(user=organiser, **overrides):
        from sessions_app.staff_permissions import organise_grant

        if user is not None and not user.has_perm("sessions_app.organise"):
            organise_grant(user)  # whoever starts a process here may
            user = type(user).objects.get(pk=user.pk)  # permissions are cached
        return process_create(user=user, spec=full_process_spec(**overrides))

    return make


@pytest.fixture
def process(make_process):
    return make_process()


def session_spec(**overrides) -> SessionSpec:
    values = {
        "title": "Bewonersavond",
        "starts_at": datetime(2027, 1, 15, 19, 30, tzinfo=AMS),
        "ends_at": datetime(2027, 1, 15, 21, 30, tzinfo=AMS),
        "venue": "Wijkcentrum De Brug",
        "mode": "hybrid",
    }
    values.update(overrides)
    return SessionSpec(**values)


@pytest.fixture
def live_session(process, organiser):
    return live_session_create(user=organiser, process=process, spec=session_spec())


def question_spec(kind: str = "single_choice", **overrides) -> QuestionSpec:
    """A valid spec of each kind; overrides change any field."""
    options = [OptionSpec("Groen"), OptionSpec("Markt"), OptionSpec("Fietsen")]
    base = {
        "single_choice": {"options": options},
        "multiple_choice": {"options": options, "max_choices": 2},
        "scale": {"scale_min": 1, "scale_max": 5, "min_label": "slecht", "max_label": "goed"},
        "ranking": {"options": options},
        "budget": {"options": options, "budget_total": 100},
        "open_text": {"max_length": 300},
        "statements": {"options": [OptionSpec("Auto's eruit."), OptionSpec("Meer bomen.")]},
        "qna": {"max_length": 300},
    }[kind]
    values = {"kind": kind, "text": f"Vraag over {kind}?", **base}
    values.update(overrides)
    return QuestionSpec(**values)


@pytest.fixture
def make_question(live_session, organiser):
    def make(kind: str = "single_choice", session=None, **overrides):
        return question_create(
            user=organiser, session=session or live_session, spec=question_spec(kind, **overrides)
        )

    return make


@pytest.fixture
def grant(organiser):
    def do(process, user, role: str = Role.FACILITATOR):
        return staff_grant(user=organiser, process=process, target=user, role=role)

    return do


# --- accounts (issue 17): login throttling in tests ------------------------------------
@pytest.fixture(autouse=True)
def _client_login_with_request(monkeypatch):
    """django-axes refuses to check a login without its request, and ``Client.login()``
    passes none: give it one from loopback, so a test's login is throttled like a real
    one (axes stays on, as in production)."""
    from django.test import Client, RequestFactory

    login = Client.login

    def login_with_request(self, **credentials):
        credentials.setdefault("request", RequestFactory().post("/accounts/login/"))
        return login(self, **credentials)

    monkeypatch.setattr(Client, "login", login_with_request)


# (accounts: end)


pytest_plugins = [
    "tests.paper_fixtures",
    # oidc (issue 17): the test identity provider, started once per run when a test asks.
    "tests.oidc_provider.fixtures",
]


@pytest.fixture
def client_for(client):
    """The test client, logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login
