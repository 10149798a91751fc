# The content service's own targets (services/content/README.md).

CONTENT_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_content
CONTENT_AUTOGEN_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_content_autogen

.PHONY: content-migrate content-revision

content-migrate: ## content: create its database if missing and upgrade it to head (CONTENT_DATABASE_URL)
	$(RUN) python -m inkwell_runtime.migrate content_service "$(CONTENT_DATABASE_URL)"

content-revision: ## content: autogenerate a migration from the models: make content-revision m="add tags"
	@test -n "$(m)" || { echo 'usage: make content-revision m="what changed"' >&2; exit 2; }
	$(RUN) python -m inkwell_runtime.migrate content_service "$(CONTENT_AUTOGEN_URL)"
	$(RUN) alembic -c services/content/alembic.ini -x url="$(CONTENT_AUTOGEN_URL)" revision --autogenerate -m "$(m)"
	$(RUN) ruff format services/content/src/content_service/migrations/versions
	$(RUN) ruff check --fix -q services/content/src/content_service/migrations/versions
