"""Generated Protobuf classes for Switchboard, built from proto/ with protoc when first needed.

    from switchboard_proto import client_pb2, bus_pb2, orders_pb2

The classes are generated into examples/python/.gen (or $SWITCHBOARD_PROTO_OUT) and regenerated when a
.proto file is newer. Needs `protoc` and a python3-protobuf of the same release (Debian 12:
protobuf-compiler 3.21 with python3-protobuf 4.21, which is the Python side of release 3.21).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# proto/ of this repository; a project that copies these examples points SWITCHBOARD_PROTO_DIR at its copy.
PROTO_DIR = Path(os.environ.get("SWITCHBOARD_PROTO_DIR", HERE.parent.parent / "proto"))
OUT_DIR = Path(os.environ.get("SWITCHBOARD_PROTO_OUT", HERE / ".gen"))
PROTOS = ["switchboard/v1/client.proto", "switchboard/v1/bus.proto", "switchboard/v1/orders.proto"]


def _stale() -> bool:
    newest_source = max((PROTO_DIR / name).stat().st_mtime for name in PROTOS)
    for name in PROTOS:
        generated = OUT_DIR / name.replace(".proto", "_pb2.py")
        if not generated.exists() or generated.stat().st_mtime < newest_source:
            return True
    return False


def _generate() -> None:
    protoc = shutil.which("protoc")
    if protoc is None:
        sys.exit("protoc not found: install it (Debian: apt-get install protobuf-compiler)")
    OUT_DIR.parent.mkdir(parents=True, exist_ok=True)
    # Generate into a fresh directory and rename it into place, so that scripts started at the same time
    # never import a half-written module.
    staging = Path(tempfile.mkdtemp(prefix=".gen-", dir=OUT_DIR.parent))
    try:
        subprocess.run(
            [protoc, f"-I{PROTO_DIR}", f"--python_out={staging}", *PROTOS],
            check=True,
            capture_output=True,
            text=True,
        )
        old = None
        if OUT_DIR.exists():
            old = Path(tempfile.mkdtemp(prefix=".old-", dir=OUT_DIR.parent))
            os.replace(OUT_DIR, old / "gen")
        try:
            os.replace(staging, OUT_DIR)
        except OSError:
            # Another process put its (identical) copy in place first.
            pass
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except subprocess.CalledProcessError as error:
        sys.exit(f"protoc failed on {PROTO_DIR}: {error.stderr.strip()}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


if not PROTO_DIR.is_dir():
    sys.exit(f"no proto directory at {PROTO_DIR}: set SWITCHBOARD_PROTO_DIR to the folder holding switchboard/v1/*.proto")
if _stale():
    _generate()
sys.path.insert(0, str(OUT_DIR))

from switchboard.v1 import bus_pb2, client_pb2, orders_pb2  # noqa: E402  (generated just above)

__all__ = ["bus_pb2", "client_pb2", "orders_pb2"]
