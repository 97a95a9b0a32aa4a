"""CITATION.cff is valid Citation File Format 1.2.0 and the README and licences agree with it.

The schema is the official CFF 1.2.0 JSON schema (as shipped inside cffconvert 2.0.0, whose own
dependencies clash with the book's), kept in scripts/schemas/ so the check runs offline.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from conftest import REPO_ROOT

SCHEMA = REPO_ROOT / "scripts" / "schemas" / "citation-file-format-1.2.0.json"


def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def citation() -> dict:
    return yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_file_is_valid_cff() -> None:
    errors = sorted(validator().iter_errors(citation()), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.mark.parametrize("broken", [
    {"cff-version": "1.2.0"},                                    # no message, title, authors
    {**yaml.safe_load("message: m\ntitle: t\nauthors: [{name: a}]"), "cff-version": "1.2.0",
     "license": "CC-BY-4"},                                      # not an SPDX identifier
    {**yaml.safe_load("message: m\ntitle: t\nauthors: [{name: a}]"), "cff-version": "1.2.0",
     "date-released": "2 Dec 2026"},                             # not a date
])
def test_schema_check_can_fail(broken: dict) -> None:
    assert list(validator().iter_errors(broken))


def test_citation_names_both_licences_and_the_paper() -> None:
    data = citation()
    assert set(data["license"]) == {"CC-BY-4.0", "MIT"}
    assert any("1910.02176" in ref.get("url", "") for ref in data["references"])


def test_readme_and_licence_files_agree() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "CITATION.cff" in readme and "CC BY 4.0" in readme and "MIT" in readme
    assert "Attribution 4.0 International Public License" in \
        (REPO_ROOT / "LICENSE-CONTENT.txt").read_text(encoding="utf-8")
    assert "MIT License" in (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
