# Inkwell — one Makefile for the whole workspace. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV ?= $(CURDIR)/scripts/uv
export UV_PYTHON_DOWNLOADS ?= never
# cache bytecode between runs (some environments switch it off; the suites import a lot)
unexport PYTHONDONTWRITEBYTECODE
RUN := $(UV) run --frozen
PYTEST := $(RUN) pytest

# suite name -> tests folder and the package whose coverage it gates
SUITES := runtime auth content preferences media weather gateway
tests_runtime := services/runtime/tests
tests_gateway := gateway/tests
pkg_runtime := inkwell_runtime
pkg_gateway := gateway
tests_for = $(or $(tests_$(1)),services/$(1)/tests)
pkg_for = $(or $(pkg_$(1)),$(1)_service)
COV_MIN ?= 90

-include mk/*.mk

.PHONY: help install test lint format contracts

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-26s %s\n", $$1, $$2}'

install: ## install the workspace (Python 3.13, every service, dev tools) from uv.lock
	$(UV) sync --frozen

test: $(addprefix test-,$(SUITES)) ## run every in-process suite (each with its own branch-coverage gate)

test-%: ## run one suite: test-auth, test-content, test-preferences, test-media, test-weather, test-gateway, test-runtime
	@echo "== $* suite"
	COVERAGE_FILE=.coverage.$* $(PYTEST) $(call tests_for,$*) -q --cov=$(call pkg_for,$*) --cov-report=term --cov-fail-under=$(COV_MIN) $(PYTEST_ARGS)

.PHONY: dev e2e

dev: ## run all of Inkwell locally without Docker (DEV_ARGS="--weather-stub --fresh"); Ctrl-C stops it
	$(RUN) python -m inkwell_e2e.dev $(DEV_ARGS)

e2e: ## the end-to-end suite through the gateway (E2E_STACK=local|compose|external)
	$(PYTEST) e2e/tests $(PYTEST_ARGS)

lint: lint-docker ## ruff, mypy, and lint-docker (compose config, hadolint, shellcheck, schemas)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy services/*/src gateway/src contracts/src e2e/src

format: ## apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

contracts: ## regenerate the committed OpenAPI documents under contracts/src/contracts/openapi/
	$(RUN) python -m contracts.export
