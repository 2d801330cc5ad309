# The whole set-up is in these targets: each creates the virtual environments it needs.
PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
GLUE := $(VENV)/.installed
CHECKOV := $(CHECKOV_VENV)/.installed

# Parallel test workers: some tests wait (Terraform's provider polls AWS-style propagation
# checks, 55 s for each new bucket lifecycle rule), most of the rest is CPU (Terraform and its
# provider about half of it). On CI's 2 cores 4 workers beat 6 (measured: 440 s against 477 s)
# and 5 (425 s against 429 s). Groups start in the order tests/conftest.py gives them (longest
# first), not xdist's (most tests first); within them, pytest-randomly shuffles the tests (the
# seed is printed).
TEST_WORKERS ?= 4
XDIST = -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

.PHONY: setup browser demo lint test test-fast benchmark mutation clean

## setup: both virtual environments (every other target runs it by itself)
setup: $(GLUE) $(CHECKOV)

## demo: the main job on the embedded local AWS (no account, no credentials)
demo: $(GLUE)
	$(VENV)/bin/mlops demo $(DEMO_ARGS)

## lint: the pre-commit hooks over every file (.pre-commit-config.yaml): terraform fmt, ruff,
## tfvars + terraform validate of each environment, checkov over the modules and roots
lint: $(GLUE) $(CHECKOV)
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

## test: lint, then the whole test suite (plans, applies on the local AWS, checkov) in
## $(TEST_WORKERS) workers; JUnit results in reports/junit/pytest.xml
test: lint $(CHECKOV) browser
	$(VENV)/bin/pytest $(XDIST) --junitxml=reports/junit/pytest.xml $(PYTEST_ARGS)

## test-fast: while developing, the tests that need no local AWS (tfvars, definitions, steps,
## docs, layout, report, checkov), in about a minute; `make test` before pushing
test-fast: $(GLUE) $(CHECKOV) browser
	$(VENV)/bin/pytest -m "not emulator" $(XDIST) $(PYTEST_ARGS)

## benchmark: time the test suite, each environment's plan and the demo
benchmark: $(GLUE) $(CHECKOV)
	$(VENV)/bin/python -m benchmarks.run

## mutation: mutmut over the governance logic ([tool.mutmut] in pyproject.toml), then its score,
## every survivor and why it is equivalent (benchmarks/mutation.py, reports/mutation.json);
## fails below 90% killed or on a survivor not explained. Not part of `make test`.
mutation: $(GLUE)
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/python -m benchmarks.mutation

# pip says what it collects and installs as it goes (a cold install takes a minute or two):
# no silent minute.
PIP_INSTALL = --disable-pip-version-check --progress-bar off

## browser: Chromium (the Debian package), in which a test opens the governance report
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package) for the governance report's browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	  || { echo "make: could not install chromium: install the Debian package chromium (as root)"; exit 1; }; }

$(GLUE): pyproject.toml
	@echo "setting up $(VENV): the mlops package and its test tools"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_INSTALL) -e '.[test]'
	touch $@

$(CHECKOV): requirements-checkov.txt
	@echo "setting up $(CHECKOV_VENV): checkov, in an environment of its own"
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install $(PIP_INSTALL) -r requirements-checkov.txt
	touch $@

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .mlops mutants
