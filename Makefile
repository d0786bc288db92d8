# The README's two commands: `make run` serves the demo, `make test` runs the whole suite.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000

.PHONY: run test lint

# The pins compiled from requirements*.in by pip-compile: the same versions on every machine.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

# The port also makes the default PUBLIC_BASE_URL (links, the widget's snippet and the demo website).
run: export FLASK_RUN_PORT := $(PORT)
run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# axe-core for the browser tests' accessibility checks, pinned by its lock file (npm's registry).
AXE_DIR := tests/browser/axe
AXE := $(AXE_DIR)/node_modules/axe-core/axe.min.js

$(AXE): $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	cd $(AXE_DIR) && npm ci --silent --no-audit --no-fund

test: $(STAMP)
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(AXE); \
	else echo "npm not found: the accessibility checks will be skipped"; fi
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
