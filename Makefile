# Two commands: `make run` serves the app with demo data; `make test` runs the whole suite (`make audit` checks
# the pinned dependencies for published vulnerabilities).
.PHONY: run dev test soak lint audit bench clean
PORT ?= 5000
# Links in emails and calendar files point at the port being served, unless BASE_URL says otherwise.
BASE_URL ?= http://127.0.0.1:$(PORT)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
# The newest supported CPython found here (3.13, then 3.12); 3.11 is refused: see docs/deploying.md, "Supported Python".
PYTHON ?= $(shell scripts/choose-python)
SUPPORTED := import sys; sys.exit(0 if sys.version_info[:2] in ((3, 12), (3, 13)) else 1)
# The virtualenv is stamped with its Python's version: one made with another (say 3.11, by an earlier
# checkout) is made again.
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV_STAMP := $(VENV)/.python-$(or $(PYTHON_VERSION),none)

$(VENV_STAMP):
	@test -n "$(PYTHON)" || { echo "No supported Python: see the message above."; exit 1; }
	@$(PYTHON) -c '$(SUPPORTED)' || { echo "$(PYTHON) is Python $(PYTHON_VERSION): this project needs CPython 3.12 or 3.13 (3.11 crashes under load; docs/deploying.md, 'Supported Python')."; exit 1; }
	@echo "Making $(VENV) with $$($(PYTHON) --version) ($(PYTHON))"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV_STAMP) requirements.txt
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
	@# The scheduler runs beside the server (emails, reminders, digest, purge) and stops with it.
	BASE_URL=$(BASE_URL) $(FLASK) scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
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
	$(BIN)/lint-imports --no-cache
	@echo "== the suite on SQLite (tests marked postgres run in the PostgreSQL pass, those marked sqlite only here) =="
	TEST_DATABASE_URL= $(BIN)/python -m pytest -q -m "not postgres"
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL ($$TEST_DATABASE_URL) =="; \
		$(BIN)/python -m pytest -q -p no:cacheprovider -m "not sqlite"; \
	else echo "TEST_DATABASE_URL is not set: the PostgreSQL run was skipped."; fi

# Issue 13's soak on its own: 50 fellows book, cancel and read against gunicorn on PostgreSQL.
SOAK_SECONDS ?= 60
soak: $(VENV)/.installed-dev
	@test -n "$$TEST_DATABASE_URL" || { echo "make soak needs PostgreSQL: set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"; exit 1; }
	SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/python -m pytest -q -rA -p no:cacheprovider -m postgres tests/app/test_soak.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Known vulnerabilities in the pinned runtime dependencies, from PyPI's advisory database (so it needs the
# network; not part of make test or CI). It fails when a pin has a published advisory (upgrade that pin) and,
# with --strict, when a package could not be checked, rather than passing with nothing audited. Every
# dependency is pinned in requirements.txt, so nothing is resolved or installed (--no-deps --disable-pip).
audit: $(VENV)/.installed-dev
	$(BIN)/pip-audit --requirement requirements.txt --strict --no-deps --disable-pip --progress-spinner off

# Issue 12's measurements at the size of a large programme (docs/BENCHMARKS.md); not part of make test.
# BENCH_DATABASE_URL adds PostgreSQL; REDIS_URL measures the many-machine set-up (shared cache, page cache).
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || echo "wrk is not installed (apt-get install wrk): the slower Python load client is used."
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
