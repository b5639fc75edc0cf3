#!/usr/bin/env bash
# Makes this Debian machine a container engine for testcontainers without Docker or a registry:
#   1. apt-get install podman runc debootstrap uidmap slirp4netns (only what is missing);
#   2. /etc/containers/containers.conf: runc (crun fails on hybrid cgroups here) and default ulimits root
#      may set here;
#   3. the Docker-compatible API: `podman system service` on unix:///run/podman/podman.sock, started in
#      the background unless the socket already answers;
#   4. the local images (test/images/build.sh), built only when missing.
# Idempotent: a second run only checks. Needs root. Afterwards, for testcontainers:
#   export DOCKER_HOST=unix:///run/podman/podman.sock TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
# (also printed at the end; `--print-env` prints only those lines).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SOCKET=/run/podman/podman.sock
ENV_LINES="export DOCKER_HOST=unix://$SOCKET
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1"

if [ "${1:-}" = --print-env ]; then
  printf '%s\n' "$ENV_LINES"
  exit 0
fi

log() { printf '[podman] %s\n' "$*" >&2; }
die() { printf '[podman] error: %s\n' "$*" >&2; exit 1; }
started=$(date +%s)

[ "$(id -u)" = 0 ] || die "run as root (apt-get, /etc/containers, /run/podman, chroot)"

# --- 1. packages ------------------------------------------------------------------------------
missing=()
for pkg in podman runc debootstrap uidmap slirp4netns; do
  dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  { nice -n 10 apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive nice -n 10 apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >/tmp/switchboard-podman-apt.log 2>&1 || { tail -n 20 /tmp/switchboard-podman-apt.log >&2; die "apt-get install failed"; }
fi

# --- 2. containers.conf -----------------------------------------------------------------------
CONF=/etc/containers/containers.conf
MARK='# written by switchboard test/images/setup-podman.sh'
WANT="$MARK
[containers]
# The default ulimits exceed what root may set on this VM (crun/runc: setrlimit RLIMIT_NOFILE).
default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]

[engine]
# crun fails on this VM's hybrid cgroups; runc works.
runtime = \"runc\""
if [ ! -f "$CONF" ] || grep -qF "$MARK" "$CONF"; then
  if [ "$(cat "$CONF" 2>/dev/null)" != "$WANT" ]; then
    log "writing $CONF"
    mkdir -p /etc/containers
    printf '%s\n' "$WANT" >"$CONF"
  fi
else
  grep -q 'runtime *= *"runc"' "$CONF" ||
    log "warning: $CONF exists and was not written by this script; it should set runtime = \"runc\" and default_ulimits"
fi

# --- 3. API service ---------------------------------------------------------------------------
answers() { curl -fsS --max-time 3 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }
# A service started from a folder that was deleted since (a CI clone) still answers the ping, but every
# container it starts fails ("conmon: Failed to get working directory", HTTP 500 "write child: broken
# pipe"): restart it. The service is started from / so that it never depends on the caller's folder.
for pid in $(pgrep -f "podman system service .*unix://$SOCKET" || true); do
  if [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == *" (deleted)" ]]; then
    log "podman system service $pid runs in a deleted folder: restarting it"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
done
if ! answers; then
  log "starting podman system service on unix://$SOCKET"
  mkdir -p "$(dirname "$SOCKET")"
  rm -f "$SOCKET"
  (cd / && exec setsid nohup podman system service --time=0 "unix://$SOCKET") >/var/log/podman-service.log 2>&1 </dev/null &
  for _ in $(seq 1 100); do
    answers && break
    sleep 0.1
  done
  answers || { tail -n 20 /var/log/podman-service.log >&2; die "podman system service does not answer on $SOCKET"; }
fi
log "engine: Podman $(podman version --format '{{.Server.Version}}') on unix://$SOCKET"

# Containers left behind by a test process that died (Ryuk, which would reap them, is disabled here).
stale=$(podman ps -a -q --filter label=dev.switchboard.test=containers --filter status=exited --filter status=created)
if [ -n "$stale" ]; then
  log "removing $(printf '%s\n' "$stale" | wc -l) stopped test container(s) left behind"
  # shellcheck disable=SC2086
  podman rm -f $stale >/dev/null
fi

# --- 4. images --------------------------------------------------------------------------------
"$HERE/build.sh"

log "ready in $(($(date +%s) - started)) s; for testcontainers:"
printf '%s\n' "$ENV_LINES" | sed 's/^/[podman]   /' >&2
