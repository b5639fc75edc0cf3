#!/bin/sh
# Generates the PHP classes of proto/switchboard/v1/*.proto into examples/php/gen (git-ignored).
# Run it again whenever proto/ changes. Needs protoc (Debian: protobuf-compiler); the generated code
# needs the protobuf PHP runtime of the same release line (Debian: php-google-protobuf, both 3.21).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
proto="$here/../../proto"
out="${SWITCHBOARD_PHP_GEN:-$here/gen}"
command -v protoc >/dev/null || { echo "gen.sh: protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
protoc --proto_path="$proto" --php_out="$out" \
  "$proto/switchboard/v1/client.proto" "$proto/switchboard/v1/bus.proto" "$proto/switchboard/v1/orders.proto"
echo "gen.sh: $(protoc --version) wrote the PHP classes to $out"
