# raftops: the two entry points are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
BIN := $(VENV)/bin
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
export PATH := $(CURDIR)/$(BIN):$(PATH)

PY_SOURCES := server plugins tests scripts/get_pip_offline.py roles extensions scripts/check-argument-specs

.PHONY: setup molecule molecule-day2 demo demo-down demo-local demo-local-down test lint format sanity units test-server test-collection build-check changelog-lint bench

setup:
	scripts/setup

# The demo: 3 systemd containers (Docker set up when missing and run as root), playbooks/site.yml, then
# playbooks/examples/operate.yml. `make demo-down` removes its containers, network and .build/demo.
demo: setup
	scripts/demo

demo-down:
	scripts/demo-down

# The same cluster as local processes on 127.0.0.11-13 (no Docker needed).
demo-local: setup
	scripts/demo-local

demo-local-down:
	scripts/local-cluster down

test: setup lint changelog-lint build-check sanity units test-server test-collection molecule
	@echo "make test: all suites passed"

lint:
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/ansible-lint
	$(BIN)/python scripts/check-argument-specs
	cd server && lint-imports

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

# The server tests against the etcd of the host (Debian 12: 3.4), then a subset again against etcd 3.5 (Debian 13's
# binaries, put in .build/etcd-3.5 by scripts/etcd-3.5 without touching the host's packages): the etcd access layer,
# variables, operator raft and autopilot, snapshots, membership and the removed-member guard.
ETCD35_TESTS := $(addprefix server/tests/integration/,test_store.py test_variables.py test_blocking.py \
	test_operator_raft.py test_autopilot_config.py test_autopilot_health.py test_autopilot_actions.py \
	test_snapshot.py test_local_cluster.py test_guard.py)
test-server:
	$(BIN)/pytest -q -p no:cacheprovider server/tests
	etcd35="$$(scripts/etcd-3.5)/etcd"; "$$etcd35" --version | sed -n 1p; \
	RAFTOPS_ETCD_BIN="$$etcd35" $(BIN)/pytest -q -p no:cacheprovider $(ETCD35_TESTS)

# Golden fixtures (tests/fixtures/golden/): the server's answers that the collection's mirrors of server rules
# are tested against (docs/design.md, "Collection mirrors"). Run after changing one of those server rules.
.PHONY: goldens
goldens:
	$(BIN)/python -m raftops.goldens tests/fixtures/golden

test-collection:
	scripts/collection-integration

# Molecule scenarios (extensions/molecule/), each on systemd containers: Docker (installed and started when missing
# and run as root), the project's images, the Molecule venv, then the scenarios. The last step of `make test`, which
# runs all six: default, disaster_recovery, membership (6 containers, about 9 min), quorum_loss (about 5 min),
# rolling_restart and upgrade (docs/performance.md, "All six scenarios in one run"). `make molecule-day2` runs the
# two day-2 scenarios alone; `make molecule MOLECULE_SCENARIOS="-s default"` runs one.
MOLECULE_SCENARIOS ?= --all
molecule: setup
	scripts/docker-up
	scripts/build-image
	scripts/setup --molecule
	PATH="$(CURDIR)/.venv-molecule/bin:$$PATH" .venv-molecule/bin/molecule test $(MOLECULE_SCENARIOS)

molecule-day2:
	$(MAKE) molecule MOLECULE_SCENARIOS="-s membership -s quorum_loss"

# Snapshot save/restore benchmark on its own local cluster (docs/performance.md).
# Then bench/run.py: raftops against etcd side by side in one run (API overhead, failover, transfer, snapshot).
# Then bench/blocking.py: agent memory with 1,000 parked blocking queries and write-to-answer times.
# Then bench/modules.py: requests and time per module of an idempotent play, beside ansible.builtin.uri.
# Then bench/hostile.py: an agent under hostile connections, bodies and queries, beside the same agent at rest.
bench: setup
	$(BIN)/python bench/snapshot.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/blocking.py
	$(BIN)/python bench/modules.py --record
	$(BIN)/python bench/hostile.py
