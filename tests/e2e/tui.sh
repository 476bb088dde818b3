#!/usr/bin/env bash
# End-to-end check of the TUI in a real terminal: starts the release binary
# in a detached tmux session on the 23-coin snapshot, drives it with keys and
# checks the screen text after each step. Needs only bash and tmux.
#
# Usage: tests/e2e/tui.sh            (builds the release binary when missing)
#        COINLENS_BIN=path tests/e2e/tui.sh
# Exits 0 when every step passed, 1 on the first mismatch (with the screen
# printed), 2 when a prerequisite is missing.
set -euo pipefail

crate_dir=$(cd "$(dirname "$0")/../.." && pwd)
snapshot="$crate_dir/../shared/data/snapshots/cmc-2021-23coins"
binary=${COINLENS_BIN:-$crate_dir/target/release/coinlens}
session="coinlens-e2e-$$"
# The first run trains the models, about 10 s on 2 cores; allow for a busy machine.
load_timeout=${E2E_LOAD_TIMEOUT:-180}
step_timeout=${E2E_STEP_TIMEOUT:-10}

command -v tmux >/dev/null || { echo "e2e: tmux is not installed" >&2; exit 2; }
[ -d "$snapshot" ] || { echo "e2e: snapshot folder $snapshot is missing" >&2; exit 2; }
if [ ! -x "$binary" ]; then
    echo "e2e: building $binary"
    (cd "$crate_dir" && timeout 900 cargo build --release --locked) || {
        echo "e2e: release build failed" >&2
        exit 2
    }
fi

data_dir=$(mktemp -d /tmp/coinlens-e2e.XXXXXX)
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    rm -rf "$data_dir"
}
trap cleanup EXIT

screen() { tmux capture-pane -p -t "$session"; }

fail() {
    echo "e2e FAILED: $1" >&2
    echo "---- screen ----" >&2
    screen >&2 || true
    echo "---- log tail ----" >&2
    tail -n 20 "$data_dir/coinlens.log" 2>/dev/null >&2 || true
    exit 1
}

# Waits until the screen matches the extended regex $1, for at most $2 s.
wait_for() {
    local pattern=$1 timeout=$2 what=$3
    local deadline=$((SECONDS + timeout))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if screen | grep -Eq -- "$pattern"; then
            return 0
        fi
        sleep 0.3
    done
    fail "$what: no /$pattern/ on screen after ${timeout}s"
}

# Fails when the screen matches the extended regex $1.
expect_absent() {
    local pattern=$1 what=$2
    if screen | grep -Eq -- "$pattern"; then
        fail "$what: /$pattern/ should not be on screen"
    fi
}

keys() { tmux send-keys -t "$session" "$@"; }

# Escape is sent on its own, then a pause, or the terminal reads Escape
# followed by the next key as Alt+key.
escape() {
    tmux send-keys -t "$session" Escape
    sleep 0.5
}

echo "e2e: starting coinlens in tmux session $session (data dir $data_dir)"
tmux new-session -d -s "$session" -x 140 -y 40 \
    "COINLENS_DATA_DIR='$data_dir' '$binary' --snapshot '$snapshot'; echo \"coinlens exited with status \$?\"; sleep 600"

echo "e2e: 1/7 table loads"
wait_for 'Coins · 23 coins' "$step_timeout" "coin table"
wait_for 'Bitcoin +BTC' "$step_timeout" "bitcoin row"
wait_for 'snapshot 2021-07-06' "$step_timeout" "snapshot day in the header"

echo "e2e: 2/7 models train and scores arrive (up to ${load_timeout}s)"
wait_for 'models [0-9]+[smhd]' "$load_timeout" "model age in the status line"
wait_for 'Bitcoin .*[+-][0-9]+\.[0-9]+% ±' "$step_timeout" "predicted return beside bitcoin"

echo "e2e: 3/7 sort by name"
keys s
wait_for 'by Name ascending' "$step_timeout" "sort title"
first_row=$(screen | grep -m1 '▶' || true)
echo "$first_row" | grep -q 'Aave' || fail "sort by name: first row is not Aave: $first_row"
keys S
wait_for 'by Name descending' "$step_timeout" "reversed sort title"

echo "e2e: 4/7 filter by 'doge'"
keys /
wait_for 'filter: ▏' "$step_timeout" "filter prompt"
keys d o g e
wait_for 'filter: doge▏' "$step_timeout" "typed filter"
keys Enter
wait_for 'Coins · 1 coin · .* filter: doge' "$step_timeout" "filtered count"
wait_for 'Dogecoin' "$step_timeout" "filtered row"
expect_absent 'Bitcoin' "filter"

echo "e2e: 5/7 open the detail view"
keys Enter
wait_for 'Dogecoin \(DOGE\)' "$step_timeout" "detail title"
wait_for 'day \+7: ' "$step_timeout" "7-day forecast in the chart title"
wait_for '7d forecast' "$step_timeout" "forecast legend"
wait_for 'Driver +value +effect' "$step_timeout" "driver list"
wait_for 'RSI 14' "$step_timeout" "RSI panel"
keys c
wait_for 'Price · 2021-04-08 to 2021-07-06' "$step_timeout" "90-day chart window"

echo "e2e: 6/7 back to the table, clear the filter"
escape
wait_for 'Coins · 1 coin · ' "$step_timeout" "table after closing the detail view"
escape
wait_for 'Coins · 23 coins' "$step_timeout" "table after clearing the filter"

echo "e2e: 7/7 quit and check the terminal"
keys q
wait_for 'coinlens exited with status 0' "$step_timeout" "exit status"
expect_absent 'Coins · ' "screen after quit (alternate screen left)"
# Mouse capture left on would make tmux report "mouse_any_flag" 1 for the pane.
if [ "$(tmux display-message -p -t "$session" '#{mouse_any_flag}')" != "0" ]; then
    fail "mouse capture is still on after quit"
fi
if [ "$(tmux display-message -p -t "$session" '#{alternate_on}')" != "0" ]; then
    fail "the alternate screen is still active after quit"
fi

echo "e2e: all steps passed"
