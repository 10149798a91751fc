# shellcheck shell=bash
# deploy/airgapped/run.sh: a private dockerd's whole life, and putting the host back afterwards.
#
# Everything a run creates is recorded, and only that is undone:
#   - its folder (mktemp; socket, state, data, the snapshot below) is listed in a run record,
#     $STATE_DIR/runs/<folder name>, with the pid of the run that owns it; a later run cleans up
#     after a run that was killed outright by reading those records, never by globbing /tmp;
#   - the host's network as the engine found it (iptables -S per table, bridges, ip_forward) is
#     kept in <folder>/host; on the way out only what is new since then *and* docker's (a DOCKER*
#     chain, a jump to one, docker0 or a br-<id> bridge) is deleted: rules other programs add
#     meanwhile, and everything that was there before, stay.
# Needs: output.sh (log, die), STATE_DIR.

IPTABLES_CMDS=(iptables ip6tables)
IPTABLES_TABLES=(filter nat)
# a rule is docker's when it sits in or jumps to a DOCKER* chain, or names one of its bridges
DOCKER_RULE='^-A DOCKER|-[jg] DOCKER|docker0|br-[0-9a-f]{12}'
DOCKER_BRIDGE='^(docker0|br-[0-9a-f]{12})$'
IP_FORWARD=${AIRGAPPED_TEST_IP_FORWARD:-/proc/sys/net/ipv4/ip_forward} # (a plain file in the tests)

# alive and not a zombie (a child of this shell stays a zombie until it is waited for)
running() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# the start time of process $1 (field 22 of /proc/<pid>/stat): a pid plus this names one process
proc_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

bridges() { ip -o link show type bridge 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}'; }

# the processes that hold file $1 open (e.g. the run lock): "pid (command)" each
holders() {
  local fd pid
  for fd in /proc/[0-9]*/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "$1" ] || continue
    pid=${fd#/proc/}
    pid=${pid%%/*}
    [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue # this run itself
    printf '%s (%s) ' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-60)"
  done
}

# ------------------------------------------------------------------------------ run records
record_file() { printf '%s/runs/%s' "$STATE_DIR" "$(basename "$1")"; }
record_get() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -1; }

# record_run <folder> <kept 0|1> [key=value...]: this run (pid $$) owns <folder>
record_run() {
  local file
  file=$(record_file "$1")
  mkdir -p "$STATE_DIR/runs"
  {
    printf 'work=%s\nowner=%s\nowner_start=%s\nkept=%s\n' "$1" "$$" "$(proc_start $$)" "$2"
    shift 2
    [ $# = 0 ] || printf '%s\n' "$@"
  } >"$file.partial"
  mv "$file.partial" "$file"
}

owner_alive() {
  local pid
  pid=$(record_get "$1" owner)
  running "$pid" && [ "$(proc_start "$pid")" = "$(record_get "$1" owner_start)" ]
}

# the dockerd a run folder's engine runs as, if it still does (checked against its command line)
engine_pid() {
  local dir=$1 pid
  pid=$(cat "$dir/dockerd.pid" 2>/dev/null || true)
  running "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--data-root $dir/data" &&
    echo "$pid"
}

# The line that undoes run folder $1 entirely (dockerd, its containers, mounts, network, folder).
stop_line() { printf '%q --stop %q' "$ROOT/deploy/airgapped/run.sh" "$1"; }

# Earlier runs of this machine that were killed outright (no teardown) are undone now; a run
# kept on purpose (AIRGAPPED_KEEP=1) that still runs stops this one: both would use docker0.
clean_up_after_killed_runs() {
  local record dir
  for record in "$STATE_DIR"/runs/*; do
    [ -f "$record" ] || continue
    case $record in *.partial) rm -f "$record"; continue ;; esac
    dir=$(record_get "$record" work)
    [ "$dir" = "${WORK:-}" ] && continue # this run's own
    owner_alive "$record" && die "another air-gapped run (pid $(record_get "$record" owner)) uses $dir"
    if [ "$(record_get "$record" kept)" = 1 ] && [ -n "$(engine_pid "$dir")" ]; then
      die "an earlier run kept its stack (AIRGAPPED_KEEP=1) and it still runs; stop it first: $(stop_line "$dir")"
    fi
    log "undoing a run that was killed before its teardown ($dir)"
    undo_run "$dir"
  done
}

# Stop run folder $1's engine (if it runs), put the host's network back, unmount, delete the
# folder, drop the record. What run.sh --stop does; also the teardown's last step.
undo_run() {
  local dir=$1 pid
  pid=$(engine_pid "$dir")
  [ -n "$pid" ] && stop_engine "$dir" "$pid"
  [ -d "$dir/host" ] && restore_network "$dir/host"
  remove_dir "$dir"
  rm -f "$(record_file "$dir")"
}

# ------------------------------------------------------------------------------ the engine
# start_engine <folder>: dockerd with socket, state and data under <folder>; sets DOCKERD_PID and
# DOCKER_HOST. The host's network is noted first, so that it can be put back.
start_engine() {
  local dir=$1 avail_kib
  snapshot_network "$dir/host"
  mkdir -p "$dir/data" "$dir/exec"
  # The engine's data (images, layers, volumes, build cache: ~4 GB) goes on a tmpfs when there
  # is memory for it: builds do not wait on the disk, and the teardown is an unmount instead of
  # deleting hundreds of thousands of files (minutes on a slow disk).
  avail_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
  if [ "${AIRGAPPED_TMPFS:-auto}" != 0 ] && [ "${avail_kib:-0}" -ge $((10 * 1024 * 1024)) ]; then
    mount -t tmpfs -o size=12g,mode=0710 inkwell-airgapped "$dir/data"
    log "engine data on a tmpfs (12 GiB at most; AIRGAPPED_TMPFS=0 puts it on disk)"
  fi
  # (9: the run lock, not dockerd's to hold)
  dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" >"$dir/dockerd.log" 2>&1 9>&- &
  DOCKERD_PID=$!
  export DOCKER_HOST=unix://$dir/docker.sock
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -20 "$dir/dockerd.log"; die "dockerd exited"; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -20 "$dir/dockerd.log"; die "dockerd did not answer in 30s"; }
  log "dockerd $(docker version --format '{{.Server.Version}}') (pid $DOCKERD_PID) at $DOCKER_HOST," \
    "storage $(docker info --format '{{.Driver}}')"
}

# stop_engine <folder> <pid>: dockerd, then the containerd and shims it started, then the bridges
# of its networks (dockerd leaves them behind).
stop_engine() {
  local dir=$1 pid=$2 containerd_pid shim_pids own_bridges p
  containerd_pid=$(cat "$dir/exec/containerd/containerd.pid" 2>/dev/null || true)
  shim_pids=$(cat "$dir"/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/*/shim.pid 2>/dev/null || true)
  # its networks' bridges: br-<first 12 of the id>, and docker0 for the default one
  own_bridges=$(timeout 10 docker -H "unix://$dir/docker.sock" network ls --no-trunc \
    --filter driver=bridge --format '{{.Name}} {{.ID}}' 2>/dev/null |
    awk '$1 == "bridge" {print "docker0"; next} {print "br-" substr($2, 1, 12)}')
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 150); do running "$pid" || break; sleep 0.2; done
  if running "$pid"; then
    log "dockerd did not stop in 30s: killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  for p in $containerd_pid $shim_pids; do
    running "$p" && kill -KILL "$p" 2>/dev/null
  done
  [ -z "$own_bridges" ] || printf '%s\n' "$own_bridges" >>"$dir/host/engine-bridges" 2>/dev/null
  return 0
}

# ------------------------------------------------------------------------------ host network
snapshot_network() {
  local dir=$1 cmd table
  mkdir -p "$dir"
  bridges >"$dir/bridges"
  cat "$IP_FORWARD" >"$dir/ip_forward" 2>/dev/null || true
  for cmd in "${IPTABLES_CMDS[@]}"; do
    command -v "$cmd" >/dev/null || continue
    for table in "${IPTABLES_TABLES[@]}"; do
      "$cmd" -t "$table" -S >"$dir/$cmd-$table" 2>/dev/null || rm -f "$dir/$cmd-$table"
    done
  done
}

# restore_network <snapshot folder>: delete the docker rules, chains and bridges that appeared
# since the snapshot; put back a policy or ip_forward dockerd changed (it sets FORWARD to DROP
# when it turns forwarding on).
restore_network() {
  local dir=$1 cmd table before rule chain policy now link own
  local -a new_chains
  for cmd in "${IPTABLES_CMDS[@]}"; do
    for table in "${IPTABLES_TABLES[@]}"; do
      before=$dir/$cmd-$table
      [ -f "$before" ] || continue
      mapfile -t new_chains < <("$cmd" -t "$table" -S | grep -E '^-N ' | grep -vxF -f "$before" |
        awk '$2 ~ /^DOCKER/ {print $2}')
      # rules in chains that were there before (the new chains are flushed whole below)
      while IFS= read -r rule; do
        chain=$(awk '{print $2}' <<<"$rule")
        printf '%s\n' "${new_chains[@]}" | grep -qxF -- "$chain" && continue
        xargs "$cmd" -t "$table" -D <<<"${rule#-A }" || log "$cmd -t $table: could not delete: $rule"
      done < <("$cmd" -t "$table" -S | grep -E '^-A ' | grep -vxF -f "$before" | grep -E -- "$DOCKER_RULE")
      for chain in "${new_chains[@]}"; do "$cmd" -t "$table" -F "$chain"; done
      for chain in "${new_chains[@]}"; do "$cmd" -t "$table" -X "$chain" || log "$cmd -t $table: could not delete chain $chain"; done
      while read -r _ chain policy; do
        now=$("$cmd" -t "$table" -S "$chain" 2>/dev/null | awk '$1 == "-P" {print $3}')
        [ -n "$now" ] && [ "$now" != "$policy" ] && "$cmd" -t "$table" -P "$chain" "$policy"
      done < <(grep -E '^-P ' "$before")
    done
  done
  if [ -s "$dir/ip_forward" ]; then
    cat "$dir/ip_forward" >"$IP_FORWARD" 2>/dev/null
  fi
  # the engine's bridges (as it listed them, or, if it was gone, docker-named ones that are new)
  own=$(cat "$dir/engine-bridges" 2>/dev/null || true)
  [ -n "$own" ] || own=$(bridges | grep -E "$DOCKER_BRIDGE" || true)
  for link in $(printf '%s\n' "$own" | sort -u); do
    grep -qxF -- "$link" "$dir/bridges" 2>/dev/null && continue # there before
    if ip link show "$link" >/dev/null 2>&1; then ip link delete "$link" || log "could not delete bridge $link"; fi
  done
  return 0
}

# Unmount what is still mounted under folder $1 (the tmpfs, anything dockerd left), delete it.
remove_dir() {
  [ -n "$1" ] && [ -d "$1" ] || return 0
  findmnt -rn -o TARGET | grep -F "$1/" | sort -r | while read -r mnt; do umount -l "$mnt"; done
  findmnt -rn -o TARGET | grep -qxF "$1" && umount -l "$1"
  rm -rf "$1"
}
