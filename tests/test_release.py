"""The release files agree with each other: the version in pyproject.toml is the newest
in CHANGELOG.md and the one publiccode.yml states, with the same date; publiccode.yml
has what the standard requires, from its vocabularies; LICENSE is the EUPL-1.2."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

#: The standard's controlled vocabularies (publiccode.yml 0.4), as far as we use them.
CATEGORIES = {"survey", "data-collection", "digital-citizenship", "feedback-and-reviews-management"}
SCOPES = {"local-authorities", "society"}


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def changelog_releases() -> list[tuple[str, str]]:
    text = (ROOT / "CHANGELOG.md").read_text()
    return re.findall(r"^## (\d+\.\d+\.\d+) \((\d{4}-\d\d-\d\d)\)$", text, flags=re.M)


def test_the_newest_changelog_entry_is_the_project_version():
    releases = changelog_releases()
    assert releases, "CHANGELOG.md has no release headings"
    assert releases[0][0] == project_version()
    versions = [tuple(int(n) for n in version.split(".")) for version, _ in releases]
    assert versions == sorted(versions, reverse=True), "newest first"


def test_publiccode_states_the_same_version_and_date():
    code = yaml.safe_load((ROOT / "publiccode.yml").read_text())
    version, date = changelog_releases()[0]
    assert code["softwareVersion"] == project_version() == version
    assert code["releaseDate"] == date


def test_publiccode_has_the_required_keys_from_the_vocabularies():
    code = yaml.safe_load((ROOT / "publiccode.yml").read_text())
    assert code["publiccodeYmlVersion"] == "0.4"
    for key in ("name", "url", "platforms", "categories", "developmentStatus", "softwareType"):
        assert code[key], key
    assert set(code["categories"]) <= CATEGORIES
    assert set(code["intendedAudience"]["scope"]) <= SCOPES
    assert code["developmentStatus"] in {"concept", "development", "beta", "stable", "obsolete"}
    assert code["legal"]["license"] == "EUPL-1.2"
    assert code["localisation"]["availableLanguages"] == ["nl", "en"]
    for language in ("nl", "en"):
        description = code["description"][language]
        assert len(description["shortDescription"]) <= 150
        assert 150 <= len(description["longDescription"]) <= 10000
        assert description["features"]


def test_the_licence_is_the_eupl_1_2_as_pyproject_declares():
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "EUPL-1.2"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2\n")
    for heading in ("1. Definitions", "5. Obligations of the Licensee", "15. Applicable Law"):
        assert heading in text
    assert "European Union Public Licence (EUPL) v. 1.1, v. 1.2" in text  # the appendix
