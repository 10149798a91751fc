# shellcheck shell=bash
# deploy/airgapped/run.sh: the compose stack of one run. Its own project name (never the user's
# `inkwell`, so `down --volumes` can only remove what this run brought up), its host ports,
# the build (stand-ins cached like pulled images), `up --wait`, and the e2e suite's settings.
# Needs: output.sh, ROOT, CACHE_DIR, LOG_DIR, BASE_KEY.

# the stack, its stores published for the suite, the stand-ins; engine_compat may add one more
FILES=(docker-compose.yml deploy/compose.ports.yml deploy/airgapped/compose.yml)
# AIRGAPPED_SCALED=1: more than one of everything (deploy/compose.scaled.yml), two gateways
SCALED=${AIRGAPPED_SCALED:-0}
[ "$SCALED" = 1 ] && FILES+=(deploy/compose.scaled.yml)
COMPOSE_FILES=()
STANDINS=(postgres mongo localstack redis)
COMPOSE_PROJECT=""

# the compose project of the run whose folder is $1: inkwell-e2e-airgapped-<the folder's suffix>
project_name() {
  local suffix=${1##*.}
  printf 'inkwell-e2e-airgapped-%s\n' "$(tr '[:upper:]' '[:lower:]' <<<"$suffix")"
}

# An engine older than Docker 25 (API 1.44), such as Debian 12's docker.io, cannot take the
# healthchecks' start_interval: deploy/compose.docker-pre25.yml drops it there.
engine_compat() {
  local api
  api=$(docker version --format '{{.Server.APIVersion}}') || die "docker version failed"
  if [ "$api" != 1.44 ] && printf '%s\n1.44\n' "$api" | sort -V -C; then
    FILES=("${FILES[@]:0:2}" deploy/compose.docker-pre25.yml "${FILES[@]:2}")
    log "engine API $api (< 1.44): adding deploy/compose.docker-pre25.yml (no start_interval)"
  fi
  local file
  COMPOSE_FILES=()
  for file in "${FILES[@]}"; do COMPOSE_FILES+=(-f "$file"); done
  COMPOSE_FILES+=(--env-file deploy/e2e.env)
}

# (9>&-: the run lock is run.sh's; a compose left behind by a killed run must not hold it)
compose() { docker compose -p "$COMPOSE_PROJECT" "${COMPOSE_FILES[@]}" "$@" 9>&-; }

# Host ports: BASE, +1 (the scaled variant's second gateway), +9 ... +14 must all be free on 127.0.0.1 (the next free range
# of 100 is tried unless AIRGAPPED_PORT_BASE was given). Exports the INKWELL_*_PORT of
# docker-compose.yml and deploy/compose.ports.yml.
ports_free() {
  "$ROOT/.venv/bin/python" - "$@" <<'PY'
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

choose_ports() {
  local start=${AIRGAPPED_PORT_BASE:-28000} base attempt
  for attempt in $(seq 0 9); do
    base=$((start + 100 * attempt))
    if ports_free $base $((base + 1)) $((base + 9)) $((base + 10)) $((base + 11)) $((base + 12)) $((base + 13)) $((base + 14)); then break; fi
    [ -z "${AIRGAPPED_PORT_BASE:-}" ] && [ "$attempt" -lt 9 ] ||
      die "no free ports at $base..$((base + 14)): set AIRGAPPED_PORT_BASE to a free range"
  done
  export INKWELL_GATEWAY_PORT=$base
  export INKWELL_GATEWAY2_PORT=$((base + 1)) # the second gateway of the scaled variant
  export INKWELL_WEATHER_STUB_PORT=$((base + 9))
  export INKWELL_S3_PORT=$((base + 10))
  export INKWELL_MONGO_PORT=$((base + 11))
  export INKWELL_POSTGRES_PORT=$((base + 12))
  export INKWELL_REDIS_PORT=$((base + 13))
  export INKWELL_MAIL_PORT=$((base + 14))
}

# The stand-ins are infrastructure, not what is under test: like pulled images, they are cached
# (keyed by the base and their recipes, renewed weekly to pick up Debian and PyPI fixes).
build_images() {
  local standins_key standins_tar name
  local -a to_build=() images=()
  standins_key=$(
    {
      echo "$BASE_KEY $(date -u +%G-W%V)"
      find deploy/airgapped/compose.yml "${STANDINS[@]/#/deploy/airgapped/}" -type f |
        LC_ALL=C sort | xargs sha256sum
    } | sha256sum | cut -c1-16
  )
  standins_tar=$CACHE_DIR/airgapped-standins-$standins_key.tar
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
    for name in "${STANDINS[@]}"; do images+=("inkwell/airgapped-$name:dev"); done
    docker save --output "$standins_tar.partial" "${images[@]}" && mv "$standins_tar.partial" "$standins_tar"
    log "stand-ins cached as $standins_tar ($(du -h "$standins_tar" | cut -f1))"
  fi
  docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' | { grep -E '^  inkwell/' || true; } | sort
}

# The scaled variant's auth key set: one RSA key made for this run (a compose secret, the folder
# under the run's temp folder; never committed, gone with it). Readable by the image's user.
make_auth_keys() {
  local dir=$1/auth-keys
  mkdir -p "$dir"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/run-1.pem" 2>/dev/null ||
    die "openssl could not make the auth key"
  chmod 0755 "$dir" && chmod 0644 "$dir/run-1.pem"
  export INKWELL_AUTH_KEYS_DIR=$dir INKWELL_JWT_SIGNING_KID=run-1
}

stack_up() {
  # (compose's per-container progress lines are left out; its errors are not)
  # (no --build: the build phase built everything just now, and the cached stand-ins stay as loaded)
  if ! compose up --wait 2>&1 | { grep -vE '^ *(Container|Network|Volume) .* (Creat|Start|Wait|Runn|Heal|Exit)' || true; }; then
    die "docker compose up --wait failed"
  fi
  compose ps --format '  {{.Service}}: {{.Status}}'
  export GATEWAY_URL=http://127.0.0.1:$INKWELL_GATEWAY_PORT
  log "gateway: $GATEWAY_URL (compose project $COMPOSE_PROJECT)"
  [ "$SCALED" = 1 ] && log "second gateway: http://127.0.0.1:$INKWELL_GATEWAY2_PORT"
  return 0
}

# docker-compose.yml's hardening, as the engine applied it (docker inspect of every container of
# the run, the one-shot migrations included): a read-only root, no capabilities,
# no-new-privileges, memory/CPU/pids limits and rotated logs. The policy tests check the file;
# this checks that the engine did what it says.
check_hardening() {
  local format='{{.Name}} {{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{json .HostConfig.PidsLimit}} {{index .HostConfig.LogConfig.Config "max-size"}}'
  local report
  # shellcheck disable=SC2046 # one id per word
  report=$(docker inspect --format "$format" $(compose ps -aq)) || die "docker inspect failed"
  printf '%s\n' "$report" | awk '{ printf "  %s read-only=%s cap_drop=%s security_opt=%s memory=%s cpus=%s pids=%s log max-size=%s\n", $1, $2, $3, $4, $5, $6 / 1e9, $7, $8 }'
  if printf '%s\n' "$report" | awk '!($2 == "true" && $3 ~ /"ALL"/ && $4 ~ /no-new-privileges/ && $5 > 0 && $6 > 0 && $7 > 0 && $8 != "") { bad = 1 } END { exit !bad }'; then
    die "a container is not hardened as docker-compose.yml says (above)"
  fi
  log "every container: read-only root, no capabilities, no-new-privileges, limits, rotated logs"
}

# what the e2e suite needs to find this stack (and its stores)
export_e2e_settings() {
  export E2E_STACK=compose
  export E2E_COMPOSE_PROJECT=$COMPOSE_PROJECT
  E2E_COMPOSE_FILES=$(IFS=,; printf '%s' "${FILES[*]}")
  export E2E_COMPOSE_FILES
  if [ "$SCALED" = 1 ]; then
    export E2E_SCALED=1 # e2e/tests/test_replicas.py
    export E2E_GATEWAY_URLS=$GATEWAY_URL,http://127.0.0.1:$INKWELL_GATEWAY2_PORT
    export E2E_STABLE_SIGNING_KEY=1 # the key set outlives every restart
  fi
  export E2E_COMPOSE_ENV_FILE=deploy/e2e.env
  export E2E_COMPOSE_KEEP=1 # run.sh tears down (and keeps the logs when something failed)
  export E2E_S3_ENDPOINT=http://127.0.0.1:$INKWELL_S3_PORT
  export E2E_S3_BUCKET=inkwell-media
  export E2E_MONGO_URL="mongodb://127.0.0.1:$INKWELL_MONGO_PORT/?directConnection=true"
  export E2E_MONGO_DATABASE=inkwell
  local password # the compose secret (development default)
  password=$(cat "${INKWELL_SECRETS_DIR:-deploy/secrets/dev}/database_password")
  export E2E_AUTH_DATABASE_URL=postgresql+asyncpg://postgres:$password@127.0.0.1:$INKWELL_POSTGRES_PORT/inkwell_auth
  export E2E_CONTENT_DATABASE_URL=postgresql+asyncpg://postgres:$password@127.0.0.1:$INKWELL_POSTGRES_PORT/inkwell_content
  export E2E_WEATHER_STUB_URL=http://127.0.0.1:$INKWELL_WEATHER_STUB_PORT
  export E2E_MAIL_URL=http://127.0.0.1:$INKWELL_MAIL_PORT
}

# When the run failed, the containers' states and logs go to LOG_DIR; then down --volumes (this
# run's project only).
stack_down() {
  local status=$1
  if [ "$status" != 0 ]; then
    mkdir -p "$LOG_DIR"
    compose ps -a >"$LOG_DIR/ps.txt" 2>&1
    compose logs --no-color --timestamps >"$LOG_DIR/compose.log" 2>&1
    log "containers and their logs: $LOG_DIR/ps.txt, $LOG_DIR/compose.log"
    cat "$LOG_DIR/ps.txt"
  fi
  compose down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 ||
    log "compose down failed (a private engine goes away below anyway)"
}
