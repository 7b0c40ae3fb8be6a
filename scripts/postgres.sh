#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: on 127.0.0.1, a free port, its files in a
# temporary directory, a random password, fsync off (nothing in it is worth keeping).  With
# LEOLINK_PG_DURABLE=1 it runs as a user would run it instead: fsync, synchronous_commit and
# full_page_writes on (the durability test, tests/store/test_store_durability.py).
#
#   scripts/postgres.sh start    start it if it is not running; print its URL on stdout
#   scripts/postgres.sh url      print the URL of the running cluster (fails if none)
#   scripts/postgres.sh status   exit 0 if it runs, 3 if not
#   scripts/postgres.sh stop     stop it and delete its directory (fine if it is not running)
#
#   export LEOLINK_TEST_POSTGRES_URL="$(scripts/postgres.sh start)"
#
# The URL names a database `leolink` and a superuser `leolink` (the tests create one database
# per test in it).  The cluster lives in $LEOLINK_PG_DIR, by default
# ${TMPDIR:-/tmp}/leolink-pg-<uid>-<hash of this checkout>, so repeated starts find the same
# cluster.  PostgreSQL is installed with apt-get when missing and we are root.  Run as root,
# the server runs as the `postgres` user (it refuses to run as root).  Logs go to stderr and
# to $LEOLINK_PG_DIR/server.log.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${LEOLINK_PG_DIR:-${TMPDIR:-/tmp}/leolink-pg-$(id -u)-$(printf '%s' "$root" | sha256sum | cut -c1-12)}"
data="$dir/data"
db=leolink
user=leolink

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

find_bindir() {
    local pgctl
    if pgctl="$(command -v pg_ctl)"; then
        dirname "$(readlink -f "$pgctl")"
        return 0
    fi
    # Debian keeps the server binaries off PATH, one directory per major version.
    local candidate
    candidate="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    [ -n "$candidate" ] && [ -x "$candidate/pg_ctl" ] && { echo "$candidate"; return 0; }
    return 1
}

ensure_installed() {
    if bindir="$(find_bindir)"; then
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed and we are not root: run
    sudo apt-get install -y postgresql    (or set LEOLINK_TEST_POSTGRES_URL to a server you have)"
    say "installing PostgreSQL with apt-get ..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bindir="$(find_bindir)" || die "apt-get installed postgresql but no pg_ctl was found"
}

# Run the server's launcher with no file descriptor but stdin/out/err open: the server must not
# keep our lock (fd 9) or a caller's pipe open for as long as it lives.
detached() {
    local fd
    for fd in $(ls /proc/$BASHPID/fd); do
        [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
    done
    "$@"
}

# Run a PostgreSQL program as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

is_running() {
    [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

url() {
    local port password
    port="$(cat "$dir/port")"
    password="$(cat "$dir/password")"
    echo "postgresql+psycopg://$user:$password@127.0.0.1:$port/$db"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

init_cluster() {
    rm -rf "$dir/data"
    mkdir -p "$dir"
    chmod 0700 "$dir"
    (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(16))' >"$dir/password")
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir" "$dir/password"
    fi
    say "creating a cluster in $data"
    as_owner "$bindir/initdb" -D "$data" --username="$user" --pwfile="$dir/password" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
}

start() {
    ensure_installed
    exec 9>"${dir}.lock"
    flock 9 # two callers at once (pytest-xdist workers) get the same cluster
    if is_running; then
        url
        return 0
    fi
    [ -f "$data/PG_VERSION" ] || init_cluster
    local port
    port="$(free_port)"
    echo "$port" >"$dir/port"
    say "starting PostgreSQL on 127.0.0.1:$port"
    local safety="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if [ "${LEOLINK_PG_DURABLE:-0}" = 1 ]; then
        safety="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    fi
    say "starting PostgreSQL ($safety)"
    (detached as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
         $safety -c max_connections=200" \
        >&2 </dev/null) || { tail -n 20 "$dir/server.log" >&2 || true; die "the server did not start"; }
    if ! as_owner "$bindir/psql" -h "$dir" -p "$port" -U "$user" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        as_owner "$bindir/createdb" -h "$dir" -p "$port" -U "$user" "$db"
    fi
    url
}

stop() {
    if [ ! -d "$dir" ]; then
        return 0
    fi
    bindir="$(find_bindir)" || true
    if [ -n "${bindir:-}" ] && is_running; then
        say "stopping PostgreSQL in $data"
        as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >&2
    fi
    rm -rf "$dir" "${dir}.lock"
}

case "${1:-}" in
    start) start ;;
    url)
        bindir="$(find_bindir)" || die "PostgreSQL is not installed"
        is_running || die "no cluster is running in $data; run: $0 start"
        url
        ;;
    status)
        bindir="$(find_bindir)" || exit 3
        is_running || exit 3
        ;;
    stop) stop ;;
    *) die "usage: $0 start|url|status|stop" ;;
esac
