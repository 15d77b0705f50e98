# The two commands: `make run` and `make test`. Everything else is plumbing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MAILPANEL := $(BIN)/mailpanel
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the test suite drives for real (mail stack with OpenDKIM, browser, and
# nsd: the authoritative DNS server the DNS checks are tested against, on a loopback port;
# pgbouncer: deploy/mailstack's MAILSTACK_PGBOUNCER pooler; nginx-light: deploy/nginx-mailpanel.conf is run, proxying to a loopback server; nodejs's npm
# installs axe-core, the accessibility audit the browser tests inject into every page).
TEST_DEBS := postfix postfix-pgsql postfix-sqlite dovecot-core dovecot-imapd dovecot-pop3d \
             dovecot-lmtpd dovecot-pgsql dovecot-sqlite dovecot-sieve opendkim opendkim-tools libopendbx1-pgsql \
             libopendbx1-sqlite3 pgbouncer chromium chromium-driver sqlite3 postgresql-client sudo nsd nginx-light nodejs

.PHONY: run test lint setup system-deps clean mutation axe
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# One stamp per need: `make run` installs only what the panel runs on, `make test`
# adds the test extras (pytest, Playwright, ruff, ...); either works after the other.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed-test

## make run: SQLite in instance/, first superadmin printed once, panel on 127.0.0.1
run: $(VENV)/.installed-run
	$(MAILPANEL) db upgrade
	$(MAILPANEL) admin bootstrap
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --access-logfile - 'panel:create_app()'

## make lint: ruff's rules (pyproject.toml) and its formatting, checked, nothing rewritten
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make test: installs what the suite needs, then runs all of it on PostgreSQL and SQLite
system-deps:
	@missing=$$(for p in $(TEST_DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages (run as root or install them): $$missing" >&2; exit 1; fi; \
	  echo "installing: $$missing"; \
	  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# axe-core at the version and hash tests/browser/package-lock.json pins (node_modules is git-ignored).
# Debian's own nodejs ships npm as a separate package; NodeSource's nodejs includes it.
$(AXE): tests/browser/package-lock.json | system-deps
	@command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

axe: $(AXE)

test: lint system-deps $(VENV)/.installed-test $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make mutation: break each authorization check in panel/services/ (tests/mutation/run.py's
## CHECKS), one at a time, and fail if no test notices; SQLite only, tens of minutes, not part of make test
mutation: $(VENV)/.installed-test
	$(BIN)/python tests/mutation/run.py $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache tests/browser/node_modules
