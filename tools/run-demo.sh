#!/bin/sh
# `make run`: a demo database, the daemon on loopback and the client.
# The daemon runs in the background for as long as the client does.
#   tools/run-demo.sh BUILD_DIR
set -eu
build=${1:-build/release}
state=${BOXOFFICE_DEMO_DIR:-build/demo}
endpoint=${BOXOFFICE_ENDPOINT:-tcp://127.0.0.1:5555}
mkdir -p "$state"

"$build/boxofficed" --foreground --seed-demo --database "$state/demo.db" \
    --endpoint "$endpoint" 2>>"$state/boxofficed.log" &
daemon=$!
trap 'kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true' EXIT INT TERM
sleep 0.3
if ! kill -0 "$daemon" 2>/dev/null; then
    echo "run-demo: the daemon did not start; see $state/boxofficed.log:" >&2
    tail -n 5 "$state/boxofficed.log" >&2
    exit 1
fi

"$build/boxoffice" --endpoint "$endpoint"
