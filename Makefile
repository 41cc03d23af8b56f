# Marketing Intelligence Agent — the two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UI_SRC := $(shell find frontend/src -type f 2>/dev/null) frontend/package.json frontend/index.html
UI_OUT := src/marketing_agent/gateway/static/index.html

.PHONY: run test install ui ui-deps lint typecheck check bench clean e2e-deps openapi screenshot

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The built UI is committed, so Node is needed only when the UI's sources change.
ui:
	cd frontend && npm ci --no-audit --no-fund && npm run build

# The test that the committed TypeScript client types match the API schema runs the front end's
# generator: its packages are installed when missing (a fresh clone); without npm that test is
# skipped (CI: fails). After package-lock.json changes, `make ui` installs them afresh.
ui-deps:
	@[ -e frontend/node_modules/.package-lock.json ] || { \
	  if command -v npm >/dev/null 2>&1; then \
	    cd frontend && npm ci --no-audit --no-fund --loglevel=error; \
	  else echo "no npm: the UI's type check needs Node.js >= 20.19"; fi; }

run: install
	$(BIN)/marketing-agent run --demo

# Debian's Chromium drives the end-to-end test (Playwright's own browser download is not used).
e2e-deps:
	@command -v chromium >/dev/null 2>&1 && [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || { \
	  echo "Installing Debian's chromium and an emoji font for the end-to-end test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-noto-color-emoji >/dev/null) \
	  || { echo "could not install chromium"; exit 1; }; }

# The README's picture: the first-run dashboard of a fresh demo, as its browser test sees it.
screenshot: install e2e-deps
	MA_E2E_SCREENSHOT=docs/screenshot.png $(BIN)/pytest -q \
	  "tests/e2e/test_admin_pages.py::test_first_run_dashboard_shows_a_working_product"

# Two workers share the cores; the multi-process chaos and scale tests, which start and kill
# processes of their own against real clocks, run after them on a machine that is theirs alone.
TEST_WORKERS ?= 2
test: install e2e-deps ui-deps
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not multiprocess"
	$(BIN)/pytest -q -m multiprocess

lint: install
	$(BIN)/ruff check src tests migrations $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests migrations $(wildcard benchmarks)

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

bench: install
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

openapi: install
	$(BIN)/marketing-agent openapi --output frontend/openapi.json

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
