# Two commands on a fresh machine: `make run` and `make test`.
# Each bootstraps uv and the project virtual environment (.venv) itself and is safe to repeat.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
DEMO_DB ?= $(CURDIR)/.demo/zhijin-demo.db
PYTEST_ARGS ?=

.PHONY: run test lint bench clean demo-reset venv

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock requirements-bootstrap.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bootstrap.txt
	@# every dependency is pinned by the lock file, used as constraints; compiled to bytecode now, as pip
	@# does, not at each start: users who cannot write the environment (a shared server) would compile the
	@# whole of Textual every time they start the program (~0.3 s here)
	$(UV) pip install --quiet --compile-bytecode --python $(PY) -c requirements.lock -e '.[dev]'
	$(PY) -m compileall -q zhijin_training
	@touch $(STAMP)

run: $(STAMP)
	@mkdir -p $(dir $(DEMO_DB))
	@test -f $(DEMO_DB) || $(VENV)/bin/zhijin-training --db $(DEMO_DB) init --demo
	$(VENV)/bin/zhijin-training --db $(DEMO_DB)

demo-reset:
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm

test: $(STAMP)
	$(VENV)/bin/ruff check zhijin_training tests benchmarks
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check zhijin_training tests benchmarks

bench: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .demo .pytest_cache build *.egg-info
