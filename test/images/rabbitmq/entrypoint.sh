#!/bin/sh
# Runs the broker in the foreground as the rabbitmq user (not the Debian wrapper, which uses su and
# redirects output), so SIGTERM from `podman stop` reaches it and its console log reaches `podman logs`.
# RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS from the container's env are honoured on first boot.
set -e
export HOME=/var/lib/rabbitmq RABBITMQ_NODENAME=rabbit@localhost
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server
