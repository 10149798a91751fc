# Inkwell — one Makefile for the whole workspace. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV ?= $(CURDIR)/tools/uv
# cache bytecode between runs (some environments switch it off; the suites import a lot)
unexport PYTHONDONTWRITEBYTECODE
RUN := $(UV) run --frozen
PYTEST := $(RUN) pytest

# suite name -> tests folder and the package whose coverage it gates. SUITES and the services'
# folders come from the registry: tools/mk/services.mk (generated, `make generate`).
tests_runtime := services/runtime/tests
tests_gateway := gateway/tests
tests_contracts := contracts/tests
tests_devstack := tools/devstack/tests
pkg_runtime := inkwell_runtime
pkg_gateway := gateway
pkg_contracts := contracts
pkg_devstack := inkwell_devstack
tests_for = $(or $(tests_$(1)),services/$(1)/tests)
pkg_for = $(or $(pkg_$(1)),$(1)_service)
COV_MIN ?= 90
# The dev stack's database preparation and its command line run in `make e2e` (test_dev_runner,
# every e2e start), not in its in-process suite: its gate there is lower, and says so.
cov_min_devstack := 70
cov_min = $(or $(cov_min_$(1)),$(COV_MIN))
# Suites whose code runs on greenlets (SQLAlchemy's asyncio layer): coverage follows greenlet
# switches there; the others run with COV_CONCURRENCY=thread ([tool.coverage.run], pyproject.toml).
GREENLET_SUITES := runtime auth content devstack
cov_concurrency = $(if $(filter $(1),$(GREENLET_SUITES)),greenlet,thread)
# pytest plugins installed for `make fuzz` that no in-process suite uses (~0.5 s to load in each)
TEST_NO_PLUGINS := -p no:schemathesis -p no:hypothesispytest
# Third-party modules a suite imports anyway, imported before coverage starts so that their module
# bodies are not traced (inkwell_testing/preload.py, in the test kit; never an Inkwell package).
preload_all := fastapi httpx pydantic_settings jose.jwt asgi_correlation_id pythonjsonlogger.json \
  asgi_lifespan respx
preload_db := sqlalchemy.ext.asyncio asyncpg alembic.command alembic.autogenerate
preload_auth := $(preload_db) pwdlib.hashers.argon2
preload_content := $(preload_db)
preload_preferences := pymongo mongoeco.wire mongoeco.engines
preload_media := aioboto3 boto3 moto.server moto.s3.models moto.s3.responses PIL.Image
preload_weather := cachetools
preload_gateway := aiohttp.web multidict
preload_env = INKWELL_TEST_PRELOAD="$(strip $(preload_all) $(preload_$(1)))"
preload_plugin = -p inkwell_testing.preload
# `make test`: TEST_JOBS suites at a time, the longest first. Preferences spends half of its time
# waiting (the Mongo driver's 0.5 s rechecks, a subprocess), so it runs beside two others.
TEST_JOBS ?= 3
TEST_ORDER := preferences media content auth runtime weather gateway devstack contracts
test_order = $(filter $(SUITES),$(TEST_ORDER)) $(filter-out $(TEST_ORDER),$(SUITES))

-include tools/mk/*.mk

.PHONY: help install test lint format contracts generate

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-26s %s\n", $$1, $$2}'

install: ## install the workspace (Python 3.13, every service, dev tools) from uv.lock
	$(UV) sync --frozen

# Each suite is its own pytest process with its own coverage gate, in one `uv run` (one sync).
# Side by side, each suite's output is printed whole when it ends; a failing suite fails
# `make test` once the others have ended.
test: ## run every in-process suite, TEST_JOBS (3) at a time, each with its own branch-coverage gate
	@$(RUN) $(MAKE) --no-print-directory -k -j$(TEST_JOBS) --output-sync=target PYTEST=pytest \
	  $(addprefix test-,$(test_order))

test-%: ## run one suite: test-auth, test-content, test-preferences, test-media, test-weather, test-gateway, test-runtime
	@echo "== $* suite"
	COVERAGE_FILE=.coverage.$* COV_CONCURRENCY=$(call cov_concurrency,$*) $(call preload_env,$*) \
	  $(PYTEST) $(call tests_for,$*) -q $(TEST_NO_PLUGINS) $(call preload_plugin,$*) \
	  -o cache_dir=.pytest_cache/$* --cov=$(call pkg_for,$*) --cov-report=term \
	  --cov-fail-under=$(call cov_min,$*) $(PYTEST_ARGS)

.PHONY: dev e2e e2e-cognito seed

dev: ## run all of Inkwell locally without Docker (DEV_ARGS="--weather-stub --fresh"); Ctrl-C stops it
	$(RUN) python -m inkwell_devstack.dev $(DEV_ARGS)

seed: ## demo users (admin@example.com an admin), posts, pictures, preferences into a running system (SEED_URL)
	$(RUN) python -m inkwell_devstack.seed --url $(or $(SEED_URL),http://127.0.0.1:8000)

e2e: ## the end-to-end suite through the gateway (E2E_STACK=local|compose|external)
	$(PYTEST) e2e/tests $(PYTEST_ARGS)

e2e-cognito: ## the end-to-end suite with users in Amazon Cognito (moto's, on the local stack)
	E2E_COGNITO=1 $(PYTEST) e2e/tests $(PYTEST_ARGS)

lint: lint-docker ## ruff, mypy, each service's app built with only its own dependencies, and lint-docker
	$(RUN) python -m inkwell_devstack.generate --check
	$(RUN) python -m inkwell_devstack.isolated
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy services/*/src services/*/tests gateway/src gateway/tests contracts/src contracts/tests e2e/src e2e/tests \
	  tools/devstack/src tools/devstack/tests quality

format: ## apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

generate: ## rewrite the files generated from the service registry (suite list, CI workflow, .ci/run, deploy/k8s)
	$(RUN) python -m inkwell_devstack.generate

contracts: ## regenerate the committed OpenAPI documents under contracts/src/contracts/openapi/
	$(RUN) python -m contracts.export
