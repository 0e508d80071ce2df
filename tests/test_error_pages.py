"""The 400, 403 and 500 pages: in the visitor's language, and the page says which one."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext


def bad_request(request):
    raise SuspiciousOperation("a tampered request")


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("bad/", bad_request),
    path("forbidden/", forbidden),
    path("broken/", broken),
]

PAGES = {
    "/bad/": (400, "Bad request"),
    "/forbidden/": (403, "No access"),
    "/broken/": (500, "Something went wrong"),
}


@pytest.fixture
def client(client, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("url", list(PAGES))
@pytest.mark.parametrize("language", ["en", "nl"])
def test_error_page_is_in_the_visitors_language(client, url, language):
    status, heading = PAGES[url]
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == status
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    with translation.override(language):
        assert f"<h1>{gettext(heading)}</h1>" in html


def test_the_500_page_is_dutch_by_default(client):
    html = client.get("/broken/", headers={"accept-language": "nl"}).content.decode()
    assert "<h1>Er ging iets mis</h1>" in html
