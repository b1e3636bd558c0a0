# `make demo` and `make test` are the two entry points; both set up .venv first.
# Set-up is skipped when .venv is newer than pyproject.toml (a stamp file records it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,fast]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/memograd demo

test: $(STAMP) lint typecheck pytest

# lint-imports: the layer contracts of pyproject.toml ([tool.importlinter]): imports only go down.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# MEMOGRAD_REQUIRE: the PyTorch and ONNX cross-checks and MKL's products must run here, not be
# skipped (see tests/conftest.py).
pytest: $(STAMP)
	MEMOGRAD_REQUIRE=torch,onnx,onnxruntime,mkl $(BIN)/pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/memograd bench

clean:
	rm -rf $(VENV) report .pytest_cache .mypy_cache .ruff_cache
