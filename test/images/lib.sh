# shellcheck shell=bash
# Helpers shared by test/images/*.sh: build local Debian-based images for Podman without a registry.
#
# Every image starts from one debootstrap'ed bookworm rootfs (minbase), cached as a tarball so that it is
# fetched once per machine; each image then unpacks it, installs its packages with apt inside a chroot,
# cleans up and is imported with `podman import`. The apt mirror is the one this machine already uses,
# read at run time from its apt sources (never written into the repository).

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$IMAGES_DIR/../.." && pwd)
IMAGE_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/switchboard/images
SUITE=bookworm
BASE_TAR=$IMAGE_CACHE/rootfs-$SUITE-minbase.tar

# Build directories to unmount and remove however the script ends.
BUILD_ROOTS=()
cleanup_builds() {
  local r
  for r in "${BUILD_ROOTS[@]}"; do
    [ -d "$r" ] || continue
    chroot_release "$r" 2>/dev/null || true
    rm -rf "$r" "$r.partial"
  done
}
trap cleanup_builds EXIT

img_log() { printf '[images] %s\n' "$*" >&2; }
img_die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }

# Runs a command at low priority: the machine is small and other work shares it.
low() { nice -n 10 "$@"; }

# The Debian mirror this machine's apt uses for $SUITE (not the security archive).
apt_mirror() {
  local mirror=''
  if [ -n "${SWITCHBOARD_DEBIAN_MIRROR:-}" ]; then
    printf '%s\n' "$SWITCHBOARD_DEBIAN_MIRROR"
    return
  fi
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: stanzas separated by blank lines; take URIs of the first stanza whose Suites lists $SUITE itself.
    mirror=$(awk -v suite="$SUITE" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; hit = 0; deb = 0
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^Types:/ && line ~ /(^|[ \t])deb([ \t]|$)/) deb = 1
          if (line ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line); split(line, u, /[ \t]+/); uris = u[1] }
          if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); n = split(line, s, /[ \t]+/); for (j = 1; j <= n; j++) if (s[j] == suite) hit = 1 }
        }
        if (deb && hit && uris != "") { print uris; exit }
      }' "$f")
    [ -n "$mirror" ] && break
  done
  if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    # one-line format: deb [options] URI SUITE COMPONENTS...
    mirror=$(awk -v suite="$SUITE" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' /etc/apt/sources.list)
  fi
  [ -n "$mirror" ] || img_die "cannot find the Debian mirror for $SUITE in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (set SWITCHBOARD_DEBIAN_MIRROR)"
  printf '%s\n' "$mirror"
}

# Mounts/unmounts what apt and package scripts need inside a rootfs.
chroot_prepare() {
  local root=$1
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
}
chroot_release() {
  local root=$1
  if mountpoint -q "$root/proc"; then umount "$root/proc" || umount -l "$root/proc"; fi
  rm -f "$root/usr/sbin/policy-rc.d"
}

# apt-get install inside the rootfs, quietly and without recommends.
chroot_install() {
  local root=$1
  shift
  DEBIAN_FRONTEND=noninteractive low chroot "$root" apt-get install -y -q --no-install-recommends "$@" >"$root.apt.log" 2>&1 ||
    { tail -n 30 "$root.apt.log" >&2; img_die "apt-get install $* failed in the image rootfs"; }
}

# Shrinks the rootfs and drops what must not ship in an image: apt lists and caches, docs, the mirror.
rootfs_cleanup() {
  local root=$1
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/cache/debconf/*-old "$root"/var/log/apt/* "$root"/var/log/dpkg.log "$root"/var/log/bootstrap.log \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/tmp/* "$root"/root/.cache
  rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
  : >"$root/etc/resolv.conf"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
}

# Builds the shared base rootfs tarball once (debootstrap minbase + apt lists, so images skip `apt-get update`).
ensure_base_rootfs() {
  if [ -s "$BASE_TAR" ]; then
    img_log "base rootfs: cached ($BASE_TAR)"
    return
  fi
  command -v debootstrap >/dev/null || img_die "debootstrap is not installed (apt-get install debootstrap)"
  local mirror root started
  mirror=$(apt_mirror)
  root=$IMAGE_CACHE/build-base.$$
  started=$(date +%s)
  img_log "base rootfs: debootstrap --variant=minbase $SUITE (mirror from this machine's apt sources)"
  rm -rf "$root"
  mkdir -p "$root"
  BUILD_ROOTS+=("$root")
  low debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >"$root.log" 2>&1 ||
    { tail -n 30 "$root.log" >&2; img_die "debootstrap failed (log: $root.log)"; }
  chroot_prepare "$root"
  low chroot "$root" apt-get update -q >"$root.log" 2>&1 ||
    { tail -n 30 "$root.log" >&2; img_die "apt-get update failed in the base rootfs"; }
  chroot_release "$root"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
  low tar -C "$root" -cf "$BASE_TAR.partial" .
  mv "$BASE_TAR.partial" "$BASE_TAR"
  rm -rf "$root" "$root.log"
  img_log "base rootfs: built in $(($(date +%s) - started)) s"
}

# Unpacks the base rootfs into a fresh build directory: sets ROOTFS to its path.
new_rootfs() {
  ROOTFS=$IMAGE_CACHE/build-$1.$$
  BUILD_ROOTS+=("$ROOTFS")
  rm -rf "$ROOTFS"
  mkdir -p "$ROOTFS"
  low tar -C "$ROOTFS" -xf "$BASE_TAR"
}

# `podman import` the rootfs as NAME:TAG with the given --change instructions, then removes the rootfs.
import_rootfs() {
  local root=$1 ref=$2
  shift 2
  local changes=() c
  for c in "$@"; do changes+=(--change "$c"); done
  low tar -C "$root" -c . | low podman import -q "${changes[@]}" - "$ref" >/dev/null ||
    img_die "podman import $ref failed"
  rm -rf "$root" "$root.apt.log"
}
