# shellcheck shell=bash
# Process helpers the bench scripts source: they start servers as background
# jobs, record their PIDs in the PIDS array, and end only those, by PID.

# is_running PID: PID is one of this script's background jobs and still runs.
# Asking the job table (not /proc) means a PID reused by an unrelated
# process after ours exited is never mistaken for ours.
is_running() {
    jobs -pr | grep -qx "$1"
}

# shellcheck disable=SC2317 # reached through EXIT traps
# stop_pid PID: SIGTERM, up to STOP_TIMEOUT_S (default 10) to exit, then SIGKILL.
stop_pid() {
    local pid=$1 i
    is_running "$pid" || return 0
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < ${STOP_TIMEOUT_S:-10} * 20; i++)); do
        is_running "$pid" || break
        sleep 0.05
    done
    if is_running "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # reached through EXIT traps
# stop_all: stops what the script started (PIDS), newest first.
stop_all() {
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[i]}"
    done
    PIDS=()
}
