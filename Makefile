# Two commands: `make run` serves the app with demo data; `make test` runs the whole suite.
PORT ?= 5000
# Links in emails and calendar files point at the port being served, unless BASE_URL says otherwise.
BASE_URL ?= http://127.0.0.1:$(PORT)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app

.PHONY: run dev test test-sqlite test-postgres lint bench mail clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# A random SECRET_KEY for this machine, kept out of the repository (instance/ is ignored).
instance/config.py:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(f'SECRET_KEY = {secrets.token_hex(32)!r}')" > $@

run: $(VENV)/.installed instance/config.py
	@first_run=$$(test -f instance/fellowship.sqlite || echo yes); \
	$(FLASK) db upgrade && \
	if [ -n "$$first_run" ]; then $(FLASK) demo; fi
	@echo "Serving on http://127.0.0.1:$(PORT)/ (emails are printed here and written to instance/mail.log)"
	BASE_URL=$(BASE_URL) $(FLASK) run --host 127.0.0.1 --port $(PORT)

# Like run, with the debugger and reloader (never expose this beyond your own machine).
dev: $(VENV)/.installed instance/config.py
	$(FLASK) db upgrade
	BASE_URL=$(BASE_URL) $(FLASK) run --debug --host 127.0.0.1 --port $(PORT)

# The suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: $(VENV)/.installed-dev
	@# ical.js (Thunderbird's parser) for the calendar cross-parser tests; they fail on CI without it.
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/js --silent --no-audit --no-fund; \
	else echo "npm is not installed: the ical.js checks will skip (on CI they fail)."; fi
	$(BIN)/ruff check .
	@echo "== the suite on SQLite =="
	TEST_DATABASE_URL= $(BIN)/python -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL ($$TEST_DATABASE_URL) =="; \
		$(BIN)/python -m pytest -q -p no:cacheprovider; \
	else echo "TEST_DATABASE_URL is not set: the PostgreSQL run was skipped."; fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
