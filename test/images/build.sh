#!/usr/bin/env bash
# Builds the local test images for Podman, each only when `podman image exists` says it is missing:
#   localhost/switchboard-rabbitmq:3.10   rabbitmq-server from Debian bookworm
#   localhost/switchboard-redis:7         redis-server from Debian bookworm
#   localhost/switchboard-kafka:4.1.1     openjdk-17-jre-headless + the Kafka 4.1.1 jars from Maven Central
# No registry is needed: the images start from a debootstrap'ed rootfs (cached under
# ${XDG_CACHE_HOME:-~/.cache}/switchboard/images) and are loaded with `podman import`.
#
# Usage: test/images/build.sh [--force] [rabbitmq|redis|kafka]...   (default: all three)
# Needs root (debootstrap, chroot), podman, debootstrap, and mvn for the Kafka jars.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

RABBITMQ_IMAGE=localhost/switchboard-rabbitmq:3.10
REDIS_IMAGE=localhost/switchboard-redis:7
KAFKA_IMAGE=localhost/switchboard-kafka:4.1.1
KAFKA_POM=$REPO_ROOT/test/support/kafka/pom.xml

force=0
wanted=()
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    rabbitmq | redis | kafka) wanted+=("$arg") ;;
    *) img_die "unknown argument: $arg (expected --force, rabbitmq, redis or kafka)" ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(rabbitmq redis kafka)

[ "$(id -u)" = 0 ] || img_die "building the images needs root (debootstrap and chroot)"
command -v podman >/dev/null || img_die "podman is not installed (run test/images/setup-podman.sh)"
mkdir -p "$IMAGE_CACHE"
# One build at a time per machine (CI and a developer shell may both call this).
exec 9>"$IMAGE_CACHE/.lock"
flock 9

# Prints the installed version of a package inside the rootfs.
pkg_version() { chroot "$1" dpkg-query -W -f '${Version}' "$2"; }

build_rabbitmq() {
  new_rootfs rabbitmq
  chroot_prepare "$ROOTFS"
  chroot_install "$ROOTFS" rabbitmq-server
  img_log "rabbitmq: rabbitmq-server $(pkg_version "$ROOTFS" rabbitmq-server)"
  chroot_release "$ROOTFS"
  install -m 644 "$IMAGES_DIR/rabbitmq/rabbitmq.conf" "$IMAGES_DIR/rabbitmq/rabbitmq-env.conf" "$ROOTFS/etc/rabbitmq/"
  install -m 755 "$IMAGES_DIR/rabbitmq/entrypoint.sh" "$ROOTFS/usr/local/bin/rabbitmq-entrypoint"
  chroot "$ROOTFS" chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq /etc/rabbitmq
  rootfs_cleanup "$ROOTFS"
  import_rootfs "$ROOTFS" "$RABBITMQ_IMAGE" \
    'CMD ["/usr/local/bin/rabbitmq-entrypoint"]' 'EXPOSE 5672' 'ENV HOME=/var/lib/rabbitmq' \
    'WORKDIR /var/lib/rabbitmq'
}

build_redis() {
  new_rootfs redis
  chroot_prepare "$ROOTFS"
  chroot_install "$ROOTFS" redis-server
  img_log "redis: redis-server $(pkg_version "$ROOTFS" redis-server)"
  chroot_release "$ROOTFS"
  rootfs_cleanup "$ROOTFS"
  import_rootfs "$ROOTFS" "$REDIS_IMAGE" \
    'CMD ["redis-server","--bind","0.0.0.0","--protected-mode","no","--dir","/var/lib/redis"]' 'EXPOSE 6379' \
    'WORKDIR /var/lib/redis'
}

build_kafka() {
  command -v mvn >/dev/null || img_die "mvn is needed to fetch the Kafka jars (apt-get install maven)"
  [ -f "$KAFKA_POM" ] || img_die "missing $KAFKA_POM (the Kafka jars are fetched with it)"
  new_rootfs kafka
  chroot_prepare "$ROOTFS"
  chroot_install "$ROOTFS" openjdk-17-jre-headless
  img_log "kafka: openjdk-17-jre-headless $(pkg_version "$ROOTFS" openjdk-17-jre-headless)"
  chroot_release "$ROOTFS"
  mkdir -p "$ROOTFS/opt/kafka/libs" "$ROOTFS/opt/kafka/config" "$ROOTFS/opt/kafka/bin" "$ROOTFS/var/lib/kafka/data"
  img_log "kafka: copying the Kafka jars with Maven ($KAFKA_POM)"
  low mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies -DincludeScope=runtime \
    "-DoutputDirectory=$ROOTFS/opt/kafka/libs" >"$ROOTFS.mvn.log" 2>&1 ||
    { tail -n 30 "$ROOTFS.mvn.log" >&2; img_die "mvn failed to copy the Kafka jars"; }
  rm -f "$ROOTFS.mvn.log"
  ls "$ROOTFS"/opt/kafka/libs/kafka_2.13-4.1.1.jar >/dev/null || img_die "the Kafka 4.1.1 jars are missing after mvn"
  install -m 644 "$IMAGES_DIR/kafka/log4j2.properties" "$ROOTFS/opt/kafka/config/log4j2.properties"
  install -m 755 "$IMAGES_DIR/kafka/start.sh" "$ROOTFS/opt/kafka/bin/start.sh"
  rootfs_cleanup "$ROOTFS"
  import_rootfs "$ROOTFS" "$KAFKA_IMAGE" \
    'CMD ["/opt/kafka/bin/start.sh"]' 'EXPOSE 9092' 'WORKDIR /opt/kafka'
}

for name in "${wanted[@]}"; do
  case $name in
    rabbitmq) ref=$RABBITMQ_IMAGE ;;
    redis) ref=$REDIS_IMAGE ;;
    kafka) ref=$KAFKA_IMAGE ;;
  esac
  if [ "$force" = 0 ] && podman image exists "$ref"; then
    img_log "$ref: present"
    continue
  fi
  ensure_base_rootfs
  started=$(date +%s)
  img_log "$ref: building"
  previous=$(podman image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
  "build_$name"
  # --force: drop the image this build replaced, unless a container still uses it.
  [ -z "$previous" ] || podman rmi "$previous" >/dev/null 2>&1 || true
  img_log "$ref: built in $(($(date +%s) - started)) s ($(podman image inspect --format '{{.Size}}' "$ref" | awk '{ printf "%d MB", $1 / 1e6 }'))"
done
