# One image recipe for every Inkwell service and the gateway (docs/compose.md says why one file).
#
#   docker build --build-arg PACKAGE=auth-service --build-arg APP=auth_service.main:create_app \
#     --build-arg PORT=8001 -t inkwell/auth .
#
# PACKAGE is the uv workspace package to install, APP the app factory uvicorn serves
# (`python -m inkwell_runtime.serve APP`), PORT where it listens, HEALTH_PATH what the healthcheck asks for.
# BASE_IMAGE may be any Debian-like image with python3.13 (and its venv module) on PATH:
# python:3.13.9-slim-trixie by default; the air-gapped run (deploy/airgapped/run.sh) passes a debootstrapped
# Debian trixie. Both stages use it, so the venv's interpreter path is the same in both.
ARG BASE_IMAGE=python:3.13.9-slim-trixie

# Layers, from the most to the least stable, so that a change rebuilds only what it touches:
# docs, READMEs and tests never reach the build (.dockerignore is an allow-list); a change to a
# package's code rebuilds only the small /app/code layer; uv.lock or a pyproject.toml rebuilds the
# dependency venv.

# --- the lock's manifests only: the dependency layer below stays cached while only code changes
FROM ${BASE_IMAGE} AS manifests
COPY . /src
RUN find /src -type f ! -name pyproject.toml ! -name uv.lock -delete \
    && find /src -type d -empty -delete

# --- deps: a venv at /app/.venv with exactly the package's locked third-party dependencies
FROM ${BASE_IMAGE} AS deps
ARG UV_VERSION=0.13.9
ENV UV_PYTHON=python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# uv from PyPI rather than COPY --from its image: an air-gapped build reaches a PyPI mirror, no registry.
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
COPY --from=manifests /src /src
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# declared here, not above: every service shares the layers before this line.
# The workspace packages it needs (./services/runtime, ./contracts, ...) are listed for the next
# stage, which installs them into /app/code; a .pth file puts /app/code on the venv's path.
ARG PACKAGE
RUN --mount=type=cache,target=/root/.cache/uv \
    test -n "${PACKAGE}" \
    && /opt/uv/bin/uv sync --frozen --no-dev --no-install-workspace --package "${PACKAGE}" \
    && /opt/uv/bin/uv export --frozen --no-dev --no-editable --no-hashes --no-header \
        --package "${PACKAGE}" | grep '^\./' > /app/workspace-packages.txt \
    && /app/.venv/bin/python -c "import sysconfig, pathlib; pathlib.Path(sysconfig.get_path('purelib'), 'inkwell-code.pth').write_text('/app/code\n')"

# --- build: the workspace packages alone (non-editable), in /app/code
FROM deps AS build
COPY . /src
# hadolint ignore=SC2046
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv pip install --python /app/.venv/bin/python --no-deps --target /app/code \
        $(cat /app/workspace-packages.txt)

# --- runtime: the dependency venv, then the code, a non-root user, nothing else
FROM ${BASE_IMAGE} AS runtime
ARG APP
ARG PORT=8000
ARG HEALTH_PATH=/readyz
ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APP=${APP} \
    PORT=${PORT} \
    HEALTH_PATH=${HEALTH_PATH}
RUN test -n "${APP}" \
    && groupadd --system --gid 10001 inkwell \
    && useradd --system --uid 10001 --gid inkwell --no-create-home --home-dir /app \
        --shell /usr/sbin/nologin inkwell
COPY --from=deps /app/.venv /app/.venv
COPY --from=build /app/code /app/code
WORKDIR /app
# numeric, so a runtime (Kubernetes runAsNonRoot) can verify it is not root
USER 10001:10001
EXPOSE ${PORT}
# HEALTH_PATH: /readyz for a service (its own dependencies: database, Mongo, S3, ...); the
# gateway's compose build passes /healthz (it stays healthy while one service is down).
# docker-compose.yml adds a check every second while starting (start_interval: an engine option
# of Docker 25+, so not here). python, not curl: slim images have no curl. Any answer but
# 2xx/3xx raises, so exits non-zero.
HEALTHCHECK --interval=30s --timeout=4s --start-period=120s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request as u; u.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}{os.environ['HEALTH_PATH']}\", timeout=3)"]
# exec: the server is PID 1 and gets SIGTERM from `docker stop` (a graceful shutdown).
# inkwell_runtime.serve configures logging from the environment, then runs uvicorn on APP.
CMD ["sh", "-c", "exec python -m inkwell_runtime.serve \"${APP}\" --host 0.0.0.0 --port \"${PORT}\""]
