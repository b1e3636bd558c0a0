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

# MEMOGRAD_REQUIRE: the PyTorch and ONNX cross-checks, and on x86-64 (where the `fast` extra
# installs MKL) MKL's products, must run here, not be skipped (see tests/conftest.py).
# MEMOGRAD_GEMM=mkl: the tests take MKL's path on any x86-64 processor, AMD's included (by
# default memograd uses it on Intel's only: memograd/_mkl.py).
comma := ,
REQUIRE := torch,onnx,onnxruntime$(if $(filter x86_64 AMD64,$(shell uname -m)),$(comma)mkl)
pytest: $(STAMP)
	MEMOGRAD_GEMM=mkl MEMOGRAD_REQUIRE=$(REQUIRE) $(BIN)/pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/memograd bench

clean:
	rm -rf $(VENV) report .pytest_cache .mypy_cache .ruff_cache
