# Agora 1540 — the two commands: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PYTEST := $(VENV)/bin/pytest
# Two processes: the machine has two cores; each gets its own database.
PYTEST_ARGS ?= -n 2 --dist loadfile
export AGORA_ENV ?= development

.PHONY: run test test-sqlite test-postgres setup venv translations messages system-deps db lint bench vendor screenshots clean

# `make run PORT=5050 HOST=0.0.0.0`: links in e-mails and feeds follow the
# address served unless BASE_URL says otherwise (a proxy in front, say).
HOST ?= 127.0.0.1
PORT ?= 5000
run: export BASE_URL ?= http://$(HOST):$(PORT)
run: setup db
	@$(FLASK) seed-demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	@$(FLASK) run --host $(HOST) --port $(PORT)

setup: venv translations

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

translations: venv
	@$(PY) scripts/i18n.py compile

# Extract the strings of app/ and templates/ into messages.pot, merge it into
# every catalogue and report what is left to translate.
messages: venv
	@$(PY) scripts/i18n.py messages

system-deps:
	@bash scripts/system_deps.sh

db: setup
	@mkdir -p instance
	@$(FLASK) db upgrade
	@$(FLASK) geography load

test: system-deps setup
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== tests on SQLite =="
	AGORA_ENV=testing TEST_DATABASE_URL= $(PYTEST) -q -p no:cacheprovider $(PYTEST_ARGS)

test-postgres:
	@url="$$($(PY) scripts/pg_test_url.py)"; \
	if [ -z "$$url" ]; then echo "== PostgreSQL not available: skipped =="; exit 0; fi; \
	echo "== tests on PostgreSQL ($$url) =="; \
	AGORA_ENV=testing TEST_DATABASE_URL="$$url" $(PYTEST) -q -p no:cacheprovider $(PYTEST_ARGS)

lint: setup
	@$(VENV)/bin/ruff check app tests bench config.py wsgi.py

vendor:
	@python3 scripts/vendor.py

# The README's pictures (docs/screenshots/), taken by a browser test in the demo world.
screenshots: system-deps setup
	AGORA_SCREENSHOTS=1 AGORA_ENV=testing TEST_DATABASE_URL= $(PYTEST) -q -p no:cacheprovider tests/browser/test_screenshots.py

# 10^4 comments on SQLite, and on PostgreSQL too when DATABASE_URL points to one
# (in a database of its own, agora_bench). Not part of `make test`. Needs wrk.
bench: setup
	@bash scripts/system_deps.sh bench
	@$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite3* instance/mail
