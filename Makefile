# raftops: the two entry points are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
BIN := $(VENV)/bin
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
export PATH := $(CURDIR)/$(BIN):$(PATH)

PY_SOURCES := server plugins tests scripts/get_pip_offline.py

.PHONY: setup demo demo-down test lint format sanity units test-server test-collection build-check changelog-lint

setup:
	scripts/setup

demo: setup
	scripts/demo

demo-down:
	scripts/local-cluster down

test: setup lint changelog-lint build-check sanity units test-server test-collection
	@echo "make test: all suites passed"

lint:
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/ansible-lint

format:
	$(BIN)/ruff check --fix $(PY_SOURCES)
	$(BIN)/ruff format $(PY_SOURCES)

changelog-lint:
	$(BIN)/antsibull-changelog lint

build-check:
	scripts/collection-build-check

sanity:
	scripts/ansible-sanity

units:
	scripts/ansible-units

test-server:
	$(BIN)/pytest -q -p no:cacheprovider server/tests

test-collection:
	scripts/collection-integration
