# khuyencong-bot: `make run` to try it, `make test` to check it. Both set up everything first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard locales/*/LC_MESSAGES/messages.po))
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: setup run test lint migrate load-surveys extract update-catalogs clean

setup: $(INSTALLED) $(CATALOGS) migrate load-surveys

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(INSTALLED)
	$(BIN)/pybabel compile --statistics -D messages -i $< -o $@

# Migrates the database the app will use (DATABASE_URL, default: SQLite file khuyencong.db).
migrate: $(INSTALLED)
	$(BIN)/khuyencong db upgrade

# The shipped survey, imported and opened the first time; later runs change nothing (a survey
# staff closed stays closed; a new version of the workbook is imported and opened).
SURVEYS := $(wildcard surveys/*.xlsx)
load-surveys: migrate
	for file in $(SURVEYS); do $(BIN)/khuyencong surveys import --open "$$file" || exit 1; done

run: setup
	$(BIN)/khuyencong run --host $(HOST) --port $(PORT)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: setup lint
	$(BIN)/python -m pytest -q

# Catalog maintenance: extract new msgids, then merge them into each language's .po file.
extract: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k msgid -c TRANSLATORS: --no-location --sort-output \
		--project=khuyencong-bot -o locales/messages.pot .

update-catalogs: extract
	$(BIN)/pybabel update --no-fuzzy-matching -i locales/messages.pot -d locales -D messages

clean:
	rm -rf $(VENV) locales/*/LC_MESSAGES/*.mo
