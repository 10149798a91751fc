# shellcheck shell=bash
# deploy/airgapped/run.sh's output: phases with their times, a summary, errors.

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
