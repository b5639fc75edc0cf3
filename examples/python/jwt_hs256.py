"""HS256 JSON Web Tokens with the standard library only (hmac, hashlib, base64, json).

The edge verifies connection tokens signed with SWITCHBOARD_JWT_SECRET (docs/protocol.md, "Connecting and
tokens"): `sub` is the user id and `exp` is required. A backend that issues tokens to its users signs them
the same way.
"""

import base64
import hashlib
import hmac
import json
import time


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(secret: str, claims: dict) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode("utf-8")) for part in (header, claims)
    )
    signature = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def connection_token(secret: str, user: str, ttl_seconds: int = 600) -> str:
    """A connection token for `user`, valid for `ttl_seconds`."""
    now = int(time.time())
    return sign(secret, {"sub": user, "iat": now, "exp": now + ttl_seconds})
