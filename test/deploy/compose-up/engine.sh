#!/usr/bin/env bash
# A private Docker engine for the compose test, apart from any other on this machine:
# its own data root, its own socket under /tmp, and no networking of its own
# (no bridge, no iptables): every container and build uses the host network.
#
#   engine.sh start DIR   → starts dockerd, prints DOCKER_HOST=unix://DIR/docker.sock
#   engine.sh stop DIR    → stops the dockerd started for DIR and waits until it is gone
#
# The data root (images, build cache) is kept between runs in
# RUNWARDEN_DOCKER_CACHE (default /var/cache/runwarden-ci/docker) so the
# locally built base images and `npm ci` layers need not be rebuilt every time.
set -euo pipefail

cmd=${1:?usage: engine.sh start|stop DIR}
dir=${2:?usage: engine.sh start|stop DIR}
data_root=${RUNWARDEN_DOCKER_CACHE:-/var/cache/runwarden-ci/docker}

case "$cmd" in
  start)
    for tool in dockerd docker docker-compose; do
      command -v "$tool" >/dev/null || {
        echo "engine: $tool is not installed (apt-get install docker.io docker-compose)" >&2
        exit 1
      }
    done
    mkdir -p "$dir" "$data_root"
    # A data root is used by one dockerd at a time: wait for a previous run's engine to end.
    exec 9>"$data_root.lock"
    flock -w 600 9 || { echo "engine: $data_root is in use by another dockerd for 10 minutes" >&2; exit 1; }
    dockerd \
      --data-root "$data_root" \
      --exec-root "$dir/exec" \
      --pidfile "$dir/dockerd.pid" \
      --host "unix://$dir/docker.sock" \
      --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
      --storage-driver overlay2 \
      >"$dir/dockerd.log" 2>&1 &
    echo $! >"$dir/dockerd.launcher.pid"
    for _ in $(seq 1 120); do
      if DOCKER_HOST="unix://$dir/docker.sock" docker version >/dev/null 2>&1; then
        # dockerd inherited fd 9, so the lock is held until it exits. The data root is this
        # test's alone: containers and volumes an interrupted run left behind go; images
        # and the build cache stay.
        export DOCKER_HOST="unix://$dir/docker.sock"
        leftovers=$(docker ps -aq)
        if [ -n "$leftovers" ]; then docker rm -f $leftovers >/dev/null; fi
        volumes=$(docker volume ls -q)
        if [ -n "$volumes" ]; then docker volume rm -f $volumes >/dev/null; fi
        echo "DOCKER_HOST=unix://$dir/docker.sock"
        exit 0
      fi
      kill -0 "$(cat "$dir/dockerd.launcher.pid")" 2>/dev/null || break
      sleep 0.5
    done
    echo "engine: dockerd did not start; its log:" >&2
    tail -n 30 "$dir/dockerd.log" >&2
    exit 1
    ;;
  stop)
    [ -f "$dir/dockerd.launcher.pid" ] || exit 0
    pid=$(cat "$dir/dockerd.launcher.pid")
    kill -TERM "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || exit 0
      sleep 0.5
    done
    echo "engine: dockerd $pid did not stop in 30 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    ;;
  *)
    echo "usage: engine.sh start|stop DIR" >&2
    exit 2
    ;;
esac
