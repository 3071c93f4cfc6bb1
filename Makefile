# make report   -> set up .venv (once) and build the quick-profile report (the main job)
# make test     -> set up .venv (once) and run every test, notebooks under the smoke profile included
# make report PROFILE=smoke|quick|full
SHELL := bash
PROFILE ?= quick
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# an inherited MPLBACKEND=Agg silently drops every figure from executed notebooks
unexport MPLBACKEND

.PHONY: setup report test lab clean-smoke

setup: $(STAMP)

# idempotent: rebuilt only when the pins change
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

report: setup
	$(PY) -m helpers.build --profile $(PROFILE)

test: setup
	$(PY) -m pytest -q

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

clean-smoke:
	rm -rf outputs/smoke outputs/executed/smoke
