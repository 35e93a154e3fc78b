#!/usr/bin/env bash
# Property-based API tests of a real node against docs/openapi.json, with Schemathesis.
#
# Starts a throwaway node (`pakit up`, any free loopback port, a temporary data directory), waits
# until storage and prover answer /ready, runs every Schemathesis phase and check against it with
# the node's CA, the admin token and the operator's client certificate, and stops the node.
# hooks.py and schemathesis.toml beside this script hold what flags cannot say. Exits non-zero
# on any failure. Takes about 1.5 minutes on 2 cores (half of it the prover's
# first key derivation).
#
#   tests/schemathesis/run.sh                          # binaries from .build/release
#   PAKIT_BIN_DIR=/path/to/bin tests/schemathesis/run.sh
#
# Knobs (environment): PAKIT_ST_MAX_EXAMPLES (default 100 test cases per operation and phase),
# PAKIT_ST_SEED (default 1), PAKIT_ST_OPENAPI (default docs/openapi.json), PAKIT_ST_REPORT_DIR
# (default: a new temporary directory, kept and printed: JUnit XML, the NDJSON event log with
# every request and response, and the node's log).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

SCHEMATHESIS_VERSION=4.32.5   # pinned: checks and generation change between releases
bin_dir=$(cd "${PAKIT_BIN_DIR:-$root/.build/release}" && pwd)
max_examples=${PAKIT_ST_MAX_EXAMPLES:-100}
openapi=$(readlink -f "${PAKIT_ST_OPENAPI:-$root/docs/openapi.json}")
seed=${PAKIT_ST_SEED:-1}
report_dir=${PAKIT_ST_REPORT_DIR:-$(mktemp -d /tmp/pakit-schemathesis-report.XXXXXX)}
mkdir -p "$report_dir"
py=${PYTHON:-python3}

say() { printf '==> %s\n' "$*"; }

for exe in pakit pakit-storage pakit-prover; do
    [[ -x "$bin_dir/$exe" ]] || { echo "run.sh: $bin_dir/$exe is missing (build first, or set PAKIT_BIN_DIR)" >&2; exit 1; }
done

# 1. Schemathesis, pinned, when missing or another version.
if ! "$py" -c "from importlib.metadata import version as v; assert v('schemathesis') == '$SCHEMATHESIS_VERSION'" 2>/dev/null; then
    say "installing schemathesis $SCHEMATHESIS_VERSION"
    export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
    "$py" -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION" </dev/null \
        || "$py" -m pip install -q --break-system-packages "schemathesis==$SCHEMATHESIS_VERSION" </dev/null
fi

# 2. A throwaway node. PAKIT_* settings from the caller's environment (a database URL, private
# mode, ports) would reach the node's services, so none is passed on (the one setting the run
# needs is set below, where the node starts).
while read -r name; do unset "$name"; done < <(compgen -e | grep '^PAKIT_' || true)
work=$(mktemp -d /tmp/pakit-schemathesis.XXXXXX)
data=$work/data
node_pid=
stop_node() {
    local status=$? pid
    if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then
        say "stopping the node"
        # pakit up stops its services gracefully on SIGTERM (they get up to 30 s for requests
        # in flight); after 40 s it is killed.
        kill -TERM "$node_pid" 2>/dev/null || true
        for _ in $(seq 1 80); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$node_pid" 2>/dev/null || true
    fi
    # Services still running (pakit up killed, or dead early) are killed by the pids up.json
    # lists; each runs in a process group of its own, so they are not reached through pakit's.
    # A pid counts only while it is still one of this tree's executables.
    for pid in $("$py" -c 'import json, sys; print(*(s["pid"] for s in json.load(open(sys.argv[1]))["services"]))' \
                 "$data/up.json" 2>/dev/null); do
        [[ "$(ps -o args= -p "$pid" 2>/dev/null)" == "$bin_dir/"* ]] && kill -KILL "$pid" 2>/dev/null || true
    done
    # The dev chain is pakit up's child outside up.json; its command line names the data directory.
    pkill -KILL -f "$data/devchain.url" 2>/dev/null || true
    rm -rf "$work"
    exit "$status"
}
trap stop_node EXIT
trap 'exit 130' INT TERM

say "starting a node from $bin_dir in $data"
# PAKIT_VERIFY_RATE: POST /v1/proofs/verify is rate limited per client (default 20 per second,
# bursts of 40). One worker sends far more than that, so with the default about 70% of its
# verify requests were answered 429 before their body was read (375 of 524 in one run), and
# the run hardly tested the verify rules. The throwaway node gets the setting's maximum;
# the 429 answer itself is documented (TooManyRequests), not tested here.
# --devchain: the dev chain (tools/devchain, a development stand-in for a BelizeChain node)
# beside the node, so the chain routes (anchors, sites, quotas) answer as they do with a chain.
PAKIT_VERIFY_RATE=100000 \
"$bin_dir/pakit" up --data "$data" --host 127.0.0.1 --port 0 --devchain </dev/null >"$work/node.log" 2>&1 &
node_pid=$!

# 3. Ready: storage answers /ready with 200 (anonymously), and so does the prover (it wants the
# operator's certificate), which derives its development keys on a first start (tens of
# seconds). Waiting for both keeps prover-backed routes from answering 503 `not_ready` mid-run.
ready() {  # URL-file [client certificate options…]
    [[ -s "$data/$1" ]] && curl -sf -o /dev/null --max-time 5 --cacert "$data/tls/ca.pem" "${@:2}" "$(cat "$data/$1")/ready"
}
deadline=$((SECONDS + 300))
until ready storage.url && ready prover.url --cert "$data/tls/operator.pem" --key "$data/tls/operator-key.pem"; do
    if ! kill -0 "$node_pid" 2>/dev/null || ((SECONDS >= deadline)); then
        echo "run.sh: the node did not become ready; its output:" >&2
        tail -n 40 "$work/node.log" >&2
        exit 1
    fi
    sleep 0.5
done
url=$(cat "$data/storage.url")
say "node ready at $url (after ${SECONDS}s)"

# 4. Schemathesis. Flags, and why:
#   --phases all four: examples (none in the document yet), coverage (boundary and invalid
#     values of every parameter), fuzzing (random), stateful (chains through inferred links).
#   --checks all: server errors, status codes, content types, headers and schemas of responses,
#     invalid data rejected, valid data accepted (see schemathesis.toml), undeclared methods
#     answered 405, missing auth refused, deleted pins gone; --max-response-time: each
#     response within 10 s (proofs are queued as jobs, so nothing legitimate takes that long).
#   --continue-on-failure: every failing case of an operation, not only the first one.
#   --workers 1: with 2 workers under Python 3.11.7, Hypothesis once failed with SystemError "AST
#     constructor recursion depth mismatch" (two threads in ast.parse) and one operation went
#     untested. One worker also keeps the order of requests, so --seed reproduces a run.
#   --generation-database none: no examples carried over from earlier runs.
#   --tls-verify / --request-cert: the node's own CA, and the operator's client certificate,
#     which GET /metrics needs (/internal/… admits services only: it answers 403, a warning).
#   -H Authorization: the admin token, so every write is allowed; ignored_auth drops it itself.
# REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE would make `requests` verify against the system store
# instead of --tls-verify; a proxy must not see loopback traffic.
say "schemathesis $SCHEMATHESIS_VERSION: seed $seed, $max_examples examples; reports in $report_dir"
status=0
(
    cd "$work"   # Schemathesis may leave files (.hypothesis) in the working directory
    env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
        SCHEMATHESIS_HOOKS="$here/hooks.py" \
        timeout 900 "$py" -m schemathesis.cli --config-file "$here/schemathesis.toml" run "$openapi" \
        --url "$url" \
        --tls-verify "$data/tls/ca.pem" \
        --request-cert "$data/tls/operator.pem" --request-cert-key "$data/tls/operator-key.pem" \
        --header "Authorization: Bearer $(cat "$data/admin.token")" \
        --phases examples,coverage,fuzzing,stateful \
        --checks all \
        --max-examples "$max_examples" \
        --continue-on-failure \
        --seed "$seed" \
        --generation-database none \
        --workers 1 \
        --request-timeout 30 \
        --max-response-time 10 \
        --report junit,ndjson --report-dir "$report_dir" \
        --no-color
) || status=$?

# The node must have kept running (and not restarted a crashed service) through the run.
if ! "$bin_dir/pakit" status --data "$data" | tee "$work/status" | awk 'NR > 1 && ($4 != "ready" || $5 != 0) { bad = 1 } END { exit bad }'; then
    cat "$work/status"
    echo "run.sh: a service of the node is not ready or was restarted during the run; its output:" >&2
    tail -n 40 "$work/node.log" >&2
    status=1
fi
cp "$work/node.log" "$report_dir/node.log"
say "reports: $report_dir"
exit "$status"
