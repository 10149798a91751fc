# The whole system as local processes, and the end-to-end suite (e2e/, docs/running-locally.md).

.PHONY: dev e2e

dev: ## run all of Inkwell locally without Docker (DEV_ARGS="--weather-stub --fresh"); Ctrl-C stops it
	$(RUN) python -m inkwell_e2e.dev $(DEV_ARGS)

e2e: ## the end-to-end suite through the gateway (E2E_STACK=local|compose|external)
	$(PYTEST) e2e/tests $(PYTEST_ARGS)
