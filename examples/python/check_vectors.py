#!/usr/bin/env python3
"""Checks the Python Protobuf classes against Switchboard's golden vectors (proto/testdata/frames.json).

For every vector, as proto/testdata/README.md asks:
  1. binary -> message -> JSON equals `json` (compared as JSON values);
  2. `json` -> message -> binary equals `binary`;
  3. each of `jsonInputs` -> message -> binary equals `binary` (64-bit numbers, snake_case, base64 variants...);
  4. binary -> message -> binary equals `binary`;
and every text of `invalidJson` is refused by the parser.
JSON goes through google.protobuf.json_format, exactly as a client on `switchboard.v1.json` uses it.

    python3 check_vectors.py [path/to/frames.json]
Exits 1 and lists every failed case.
"""

import json
import sys
from pathlib import Path

from google.protobuf import json_format

from switchboard_proto import client_pb2

DEFAULT_VECTORS = Path(__file__).resolve().parent.parent.parent / "proto" / "testdata" / "frames.json"
TYPES = {
    "switchboard.v1.ClientFrame": client_pb2.ClientFrame,
    "switchboard.v1.ServerFrame": client_pb2.ServerFrame,
}


def check(vector: dict) -> list:
    """The failed steps of one vector (empty when it passes)."""
    cls = TYPES[vector["type"]]
    binary = bytes.fromhex(vector["binary"])
    failures = []

    decoded = cls.FromString(binary)
    printed = json.loads(json_format.MessageToJson(decoded))
    if printed != vector["json"]:
        failures.append(f"binary -> JSON gave {json.dumps(printed)}, want {json.dumps(vector['json'])}")

    parsed = json_format.Parse(json.dumps(vector["json"]), cls())
    if parsed.SerializeToString() != binary:
        failures.append(f"JSON -> binary gave {parsed.SerializeToString().hex()}, want {vector['binary']}")

    for text in vector.get("jsonInputs", []):
        source = text if isinstance(text, str) else json.dumps(text)
        try:
            encoded = json_format.Parse(source, cls()).SerializeToString()
        except json_format.ParseError as error:
            failures.append(f"jsonInput {source} refused: {error}")
            continue
        if encoded != binary:
            failures.append(f"jsonInput {source} -> binary gave {encoded.hex()}, want {vector['binary']}")

    if decoded.SerializeToString() != binary:
        failures.append(f"binary -> binary gave {decoded.SerializeToString().hex()}")
    return failures


def check_invalid(case: dict) -> list:
    """A failure when the parser accepts a text that every Switchboard parser must refuse."""
    try:
        accepted = json_format.Parse(case["text"], TYPES[case["type"]]())
    except json_format.ParseError:
        return []
    return [f"accepted {case['text']} as {json_format.MessageToJson(accepted, indent=None)}"]


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_VECTORS
    document = json.loads(path.read_text())
    if document.get("format") != "switchboard-frame-vectors/1":
        print(f"{path}: format {document.get('format')!r}, this checker reads switchboard-frame-vectors/1")
        return 1
    failed = 0
    for vector in document["vectors"]:
        failures = check(vector)
        inputs = len(vector.get("jsonInputs", []))
        if failures:
            failed += 1
            print(f"FAIL {vector['name']}")
            for failure in failures:
                print(f"     {failure}")
        else:
            print(f"ok   {vector['name']} ({vector['type']}, {inputs} other JSON forms)")
    refused = 0
    for case in document.get("invalidJson", []):
        failures = check_invalid(case)
        if failures:
            failed += 1
            print(f"FAIL invalid JSON: {case['name']}: {failures[0]}")
        else:
            refused += 1
            print(f"ok   refused: {case['name']}")
    total = len(document["vectors"])
    print(f"{total} vectors and {refused} invalid texts checked, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
