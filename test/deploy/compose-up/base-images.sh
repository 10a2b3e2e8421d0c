#!/usr/bin/env bash
# Base images built on this machine, for hosts that reach no container registry:
#   runwarden-base:bookworm-node<version>  Debian bookworm (debootstrap --variant=minbase)
#                                          with this host's Node in /usr/local, like the
#                                          official node images (headers included, so
#                                          better-sqlite3 builds with npm_config_nodedir=/usr/local)
#   runwarden-redis:bookworm               the base plus Debian's redis-server
# An image that already exists in the engine is kept (the engine's data root is cached
# between runs). Needs DOCKER_HOST set, root, debootstrap, and Debian's package mirror
# as configured in this host's apt sources. Prints the two image names.
set -euo pipefail

node_version=$(node --version)
base="runwarden-base:bookworm-node${node_version#v}"
redis="runwarden-redis:bookworm"
here=$(cd "$(dirname "$0")" && pwd)

if ! docker image inspect "$base" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { echo "base-images: apt-get install debootstrap" >&2; exit 1; }
  root=$(mktemp -d /tmp/runwarden-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  # The mirror this host's apt uses (deb822 or one-line sources), so nothing here names a host.
  mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 || true)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  echo "base-images: debootstrap bookworm into $root" >&2
  debootstrap --variant=minbase --include=ca-certificates bookworm "$root" $mirror >&2
  # apt inside the image uses the host's sources and settings.
  rm -f "$root/etc/apt/sources.list"
  cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/"
  if [ -f /etc/apt/sources.list ]; then cp /etc/apt/sources.list "$root/etc/apt/sources.list"; fi
  find /etc/apt/apt.conf.d -maxdepth 1 -type f ! -name 'docker-*' -exec cp {} "$root/etc/apt/apt.conf.d/" \;
  # The host's CA bundle (it may hold a proxy's CA that npm and apt need).
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  # Node from this host, laid out as in the official images.
  node_bin=$(command -v node)
  node_prefix=$(cd "$(dirname "$(readlink -f "$node_bin")")/.." && pwd)
  install -m 0755 "$(readlink -f "$node_bin")" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
  cp -a "$node_prefix/lib/node_modules/npm" "$root/usr/local/lib/node_modules/npm"
  cp -a "$node_prefix/include/node" "$root/usr/local/include/node"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' - "$base" >&2
fi

if ! docker image inspect "$redis" >/dev/null 2>&1; then
  docker build --network host --build-arg "BASE_IMAGE=$base" -t "$redis" -f "$here/redis.Dockerfile" "$here" >&2
fi
echo "$base"
echo "$redis"
