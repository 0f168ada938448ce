#!/bin/bash
# Makes sure an S3 server (Ceph radosgw) answers on 127.0.0.1:$PLUMB_TEST_S3_PORT for the S3 tests,
# and prints how to reach it on stdout as KEY=value lines (everything else goes to stderr):
#   PLUMB_TEST_S3_ENDPOINT=http://127.0.0.1:7480
#   PLUMB_TEST_S3_ACCESS_KEY_ID=…  PLUMB_TEST_S3_SECRET_ACCESS_KEY=…
# Idempotent and fast when RGW is already up. Otherwise it installs Ceph from Debian if needed and
# starts a one-node cluster with ../shared/tools/start-s3-ceph.sh (the shared tool, never a copy).
# Env: PLUMB_TEST_S3_PORT (7480), PLUMB_TEST_S3_DIR (/tmp/plumb-test-ceph-<port>),
#      PLUMB_TEST_S3_MEM_BYTES (OSD capacity, 1 GiB), AK/SK (test keys, mlflowkey/mlflowsecret).
set -euo pipefail

PORT=${PLUMB_TEST_S3_PORT:-7480}
CEPH_DIR=${PLUMB_TEST_S3_DIR:-/tmp/plumb-test-ceph-$PORT}
MEM_BYTES=${PLUMB_TEST_S3_MEM_BYTES:-1073741824}
export AK=${AK:-mlflowkey} SK=${SK:-mlflowsecret}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STARTER="$ROOT/../shared/tools/start-s3-ceph.sh"
ENDPOINT="http://127.0.0.1:$PORT"

log() { echo "start-test-s3: $*" >&2; }

answers() { curl -s -o /dev/null -m 2 "$ENDPOINT/"; }

report() {
  echo "PLUMB_TEST_S3_ENDPOINT=$ENDPOINT"
  echo "PLUMB_TEST_S3_ACCESS_KEY_ID=$AK"
  echo "PLUMB_TEST_S3_SECRET_ACCESS_KEY=$SK"
}

# Several test processes may start at once: one of them starts Ceph, the others wait for it. The
# check is under the lock too because RGW answers a moment before its S3 user exists.
exec 9>"/tmp/plumb-test-s3-$PORT.lock"
flock -w 600 9 || { log "timed out waiting for another start of the S3 server"; exit 1; }
if answers; then
  report
  exit 0
fi

# A killed daemon can linger as a zombie until init reaps it: that counts as gone.
alive() { kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    log "installing Ceph needs root (or passwordless sudo): $*"
    return 1
  fi
}

if ! command -v ceph-mon >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v radosgw >/dev/null ||
  ! command -v ceph >/dev/null; then
  log "installing Ceph from Debian (ceph-mon ceph-osd radosgw ceph-common)"
  started=$(date +%s)
  packages=(ceph-mon ceph-osd radosgw ceph-common)
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale on a fresh machine; refresh them only when the install needs it.
  if ! as_root apt-get install -y --no-install-recommends "${packages[@]}" >&2; then
    log "install failed; running apt-get update and retrying"
    as_root apt-get update >&2
    as_root apt-get install -y --no-install-recommends "${packages[@]}" >&2
  fi
  log "Ceph installed in $(($(date +%s) - started)) s"
fi

if [ ! -x "$STARTER" ] && [ ! -f "$STARTER" ]; then
  log "missing $STARTER (the shared tools must sit beside the repository)"
  exit 1
fi

# A start that died half-way leaves daemons holding the mon port: stop the ones whose pid files
# are in our own directory (never anything else).
stop_ours() {
  for name in client.rgw.a osd.0 mon.a; do
    pidfile="$CEPH_DIR/run/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    alive "$pid" || continue
    log "stopping $name (pid $pid) left by an earlier start"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do alive "$pid" || break; sleep 0.5; done
    alive "$pid" && kill -9 "$pid" 2>/dev/null || true
  done
}

START_LOG="$CEPH_DIR.start.log"
start_once() {
  stop_ours
  if (echo >/dev/tcp/127.0.0.1/6789) 2>/dev/null; then
    log "port 6789 (the Ceph monitor's, fixed by start-s3-ceph.sh) is taken by another process;" \
      "is another Ceph running without its radosgw on $ENDPOINT?"
    exit 1
  fi
  # The daemons outlive this script: they must not inherit the lock (9>&-) nor our stdout/stderr,
  # or a caller reading our output through a pipe would wait for them to exit.
  CEPH_DIR="$CEPH_DIR" RGW_PORT="$PORT" CEPH_MEM_BYTES="$MEM_BYTES" bash "$STARTER" </dev/null >"$START_LOG" 2>&1 9>&- &&
    answers
}

# RGW keeps deleted data (in the OSD's memory, here) for its GC's minimum wait, 2 h by default,
# and its GC thread sleeps an hour between rounds: every S3 test run leaves ~75 MB behind, which
# would fill the OSD within a day's work. Shorten both in the monitor's config database, and
# restart radosgw once so that its GC thread starts with them.
tune_gc() {
  local pid
  CEPH_CONF="$CEPH_DIR/ceph.conf" ceph config set client.rgw.a rgw_gc_obj_min_wait 60 >&2 &&
    CEPH_CONF="$CEPH_DIR/ceph.conf" ceph config set client.rgw.a rgw_gc_processor_period 60 >&2 || return 1
  pid=$(cat "$CEPH_DIR/run/client.rgw.a.pid")
  kill "$pid"
  for _ in $(seq 1 40); do alive "$pid" || break; sleep 0.25; done
  CEPH_CONF="$CEPH_DIR/ceph.conf" radosgw -n client.rgw.a </dev/null >>"$START_LOG" 2>&1 9>&- || return 1
  for _ in $(seq 1 60); do answers && return 0; sleep 0.5; done
  return 1
}

started=$(date +%s)
# Two attempts: the OSD occasionally asks the monitor for its crush class before it has the
# monitor map ("wrong fsid") and exits; a fresh start gets past it.
for attempt in 1 2; do
  log "starting Ceph radosgw on $ENDPOINT (dir $CEPH_DIR, attempt $attempt)"
  if start_once && tune_gc; then
    log "Ceph radosgw started in $(($(date +%s) - started)) s"
    report
    exit 0
  fi
  log "the start failed; the last lines of its logs:"
  tail -n 15 "$START_LOG" "$CEPH_DIR"/log/*.log 2>/dev/null >&2 || true
done
stop_ours
exit 1
