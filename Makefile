# calmdesk — `make run` starts everything, `make test` runs the whole suite.
# Both install what is missing first (two virtual environments, trained models).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
RASA_VENV := .venv-rasa
PY        := $(VENV)/bin/python
CALMDESK  := $(PY) -m bot.cli
PIP_QUIET := --quiet --disable-pip-version-check

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: help install models run test lint typecheck unit integration bench bench-stack bench-nlu eval-nlu \
        train-nlu seed lock clean

help:
	@echo "make install    create .venv (3.11) and .venv-rasa (3.10), train models if stale"
	@echo "make run        install if needed, seed the demo shop, start every process"
	@echo "make test       install if needed, ruff + mypy + the whole pytest suite"
	@echo "make bench      whole stack vs stock Rasa 3.6 -> reports/bench-stack.{json,md}"
	@echo "make bench-nlu  NLU service benchmark -> reports/bench-nlu.{json,md}"
	@echo "make eval-nlu   NLU evaluation (+ Rasa DIET side by side) -> reports/nlu-eval.json"

$(VENV)/.installed: requirements/app.lock pyproject.toml
	@py=$$(scripts/find-python.sh 3.11) && echo "using $$py for $(VENV)" && \
	  { [ -x $(PY) ] || $$py -m venv $(VENV); }
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip wheel 2> >(grep -v "is ignored" >&2)
	$(PY) -m pip install $(PIP_QUIET) -r requirements/app.lock 2> >(grep -v "is ignored" >&2)
	$(PY) -m pip install $(PIP_QUIET) --no-deps -e . 2> >(grep -v -e "is ignored" -e Warning >&2) >/dev/null
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock
	@py=$$(scripts/find-python.sh 3.10) && echo "using $$py for $(RASA_VENV)" && \
	  { [ -x $(RASA_VENV)/bin/python ] || $$py -m venv $(RASA_VENV); }
	$(RASA_VENV)/bin/python -m pip install $(PIP_QUIET) "pip<24" wheel 2> >(grep -v "is ignored" >&2)
	$(RASA_VENV)/bin/python -m pip install $(PIP_QUIET) -r requirements/rasa.lock 2> >(grep -v "is ignored" >&2)
	@# Rasa reports crashes to Sentry with this bundled key even with telemetry off: remove it.
	rm -f $(RASA_VENV)/lib/python3.10/site-packages/rasa/keys
	@touch $@

install: $(VENV)/.installed $(RASA_VENV)/.installed models

# Retrains only what is stale (fingerprints of the training data and configuration).
models: $(VENV)/.installed $(RASA_VENV)/.installed
	$(CALMDESK) train all

run: install
	$(CALMDESK) seed --if-empty
	$(CALMDESK) serve all

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(VENV)/bin/pytest tests/unit -q

integration: install
	$(VENV)/bin/pytest tests/integration tests/e2e -q

test: install lint typecheck
	$(VENV)/bin/pytest -q -ra

bench-nlu: install
	$(CALMDESK) bench nlu

# Whole stack vs stock Rasa 3.6 (same script, same run). The first run trains the stock
# Rasa model (default DIET pipeline, slow) and caches it under var/bench/stock-rasa/.
# ROUNDS=N measures the 8-sender goal N times (targets restarted each round).
ROUNDS ?= 1
bench: install
	$(CALMDESK) bench stack --rounds $(ROUNDS)

bench-stack: bench

eval-nlu: install
	$(CALMDESK) evaluate nlu

train-nlu: $(VENV)/.installed
	$(CALMDESK) train nlu --force

seed: $(VENV)/.installed
	$(CALMDESK) seed

lock:
	{ echo "# Locked from requirements/app.in + dev.in (pip freeze of .venv, Python 3.11). Regenerate: make lock"; \
	  $(PY) -m pip freeze --exclude-editable | sed 's/^torch==\(.*\)+cpu/torch==\1/'; } > requirements/app.lock
	{ echo "# Locked Rasa environment (.venv-rasa, Python 3.10). Regenerate: make lock"; \
	  $(RASA_VENV)/bin/python -m pip freeze --exclude-editable; } > requirements/rasa.lock

clean:
	rm -rf $(VENV) $(RASA_VENV) var models/rasa .mypy_cache .ruff_cache .pytest_cache
