# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test venv system-deps lint typecheck jest docs pytest bench clean

demo: $(STAMP)  ## sweep the example locally, pick the best, package, serve, predict
	$(PY) notebooks/mnist/demo.py

test: system-deps $(STAMP) lint typecheck jest docs pytest  ## everything CI runs; pytest's summary last

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@echo "installing torch (a large download: pip shows its progress) ..."
	$(PY) -m pip install --progress-bar on torch==2.13.0
	@echo "installing jupyter-mlpipe and its development tools ..."
	$(PY) -m pip install --progress-bar on -e ".[dev]"
	touch $(STAMP)

system-deps:  ## Debian packages the integration tests use (chromium, buildah, podman ...)
	bash .ci/system-deps

lint: $(STAMP)
	$(VENV)/bin/ruff check jupyter_mlpipe tests bench notebooks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

jest: $(STAMP)
	cd labextension && (test -d node_modules || npm ci --no-audit --no-fund) && npm test --silent

docs: $(STAMP)  ## the reference in docs/, built strictly (a broken link or anchor fails) into site/
	$(VENV)/bin/mkdocs build --strict --quiet

pytest: $(STAMP)  ## tests/notebook/test_notebooks.py runs the notebooks with nbval on a temp store
	$(PY) -m pytest tests -p no:cacheprovider

bench: $(STAMP)  ## performance comparisons against peers; results in bench/results/
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist site labextension/node_modules labextension/lib jupyter_mlpipe/labextension
