# Every target bootstraps what it needs on a fresh machine: a pinned uv in .tools/
# (from PyPI), then the locked workspace in .venv (uv sync --frozen).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
# Compile every module once at install (uv sync --compile-bytecode below): with PYTHONDONTWRITEBYTECODE=1
# (set on our machines and in many containers) Python would otherwise recompile all of them at every
# connector start (+3 s each).
# Test runs use both cores; override with `make test PYTEST_ARGS=...`.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: help bootstrap demo test test-faults test-all bench lint sandbox clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) Makefile uv.lock pyproject.toml sandbox/pyproject.toml source-tomorro/pyproject.toml destination-tomorro/pyproject.toml sync/pyproject.toml
	$(UV) sync --frozen --inexact --compile-bytecode  # inexact: keep the bench group if `make bench` added it
	@touch $@

bootstrap: .venv/.synced  ## create .venv with every workspace package and test tool

demo: bootstrap  ## the main job: sandbox -> DuckDB pull, incremental pull, CRM push, round-trip query
	$(UV) run --frozen tomorro-sync demo --db demo/tomorro.duckdb

test: bootstrap  ## the whole default test suite (what CI runs)
	$(UV) run --frozen pytest $(PYTEST_ARGS)

test-faults: bootstrap  ## the full fault-injection and crash-resume suite (slow)
	$(UV) run --frozen pytest $(PYTEST_ARGS) -m faults --full-faults

test-all: bootstrap  ## default suite plus every slow test
	$(UV) run --frozen pytest $(PYTEST_ARGS) -m "not image_tests"

bench: $(UV)  ## benchmarks against peers (installs the bench dependency group)
	$(UV) sync --frozen --inexact --compile-bytecode --group bench
	$(UV) run --frozen --group bench python -m bench $(BENCH_ARGS)

lint: bootstrap  ## ruff
	$(UV) run --frozen ruff check .

sandbox: bootstrap  ## run a seeded sandbox on :8765
	$(UV) run --frozen tomorro-sandbox serve --port 8765

clean:  ## remove environments and caches
	rm -rf .venv .tools .pytest_cache build demo/*.duckdb .airbyte
