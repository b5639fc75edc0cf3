#!/usr/bin/env python3
"""A WebSocket client of a Switchboard edge: subscribes to a durable channel and never loses a publication.

It speaks the JSON subprotocol (`switchboard.v1.json`): every frame is the proto3 JSON form of a
ClientFrame/ServerFrame, printed and parsed with google.protobuf.json_format. It connects with an HS256
token (jwt_hs256.py), subscribes, and prints each publication as one JSON line. When the connection drops
(or a backend disconnects it) it reconnects with backoff — or after the delay the Disconnect frame names —
and subscribes again with `since` = its last (offset, epoch), so the edge sends exactly what it missed. Every
publication goes through the continuity rule (continuity.py): duplicates are dropped, a gap triggers a
re-sync on the same connection.

    python3 ws_client.py --url ws://localhost:8080/ws --secret "$SWITCHBOARD_JWT_SECRET" \\
        --user alice --channel chat:lobby [--count 10] [--timeout 60]

Output, one JSON object per line: connected, subscribed, publication (with "via": "live" or "recovery"),
lost, unsubscribed, disconnected, done. Exits 0 after --count publications, 1 on a refusal, a lost gap or
the timeout.
"""

import argparse
import asyncio
import json
import os
import random
import sys

import websockets
from google.protobuf import json_format

from continuity import DurableStream
from jwt_hs256 import connection_token
from switchboard_proto import client_pb2

SUBPROTOCOL = "switchboard.v1.json"


def log(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def text_of(payload: bytes):
    """A payload as the application sees it: JSON when it is JSON, else text, else hex."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return {"hex": payload.hex()}
    try:
        return json.loads(text)
    except ValueError:
        return text


class Stop(Exception):
    """Ends the client with an exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Client:
    def __init__(self, args) -> None:
        self.args = args
        self.stream = DurableStream()
        self.next_id = 0
        self.emitted = 0
        self.pending_subscribes = {}  # frame id -> whether that Subscribe carried `since`
        self.disconnect = None  # the Disconnect frame of the current connection, if any

    async def send(self, ws, **kind) -> int:
        self.next_id += 1
        frame = client_pb2.ClientFrame(id=self.next_id, **kind)
        await ws.send(json_format.MessageToJson(frame, indent=None))
        return self.next_id

    async def subscribe(self, ws, with_since: bool) -> None:
        request = client_pb2.Subscribe(channel=self.args.channel)
        if with_since:
            request.since.CopyFrom(client_pb2.StreamPosition(**self.stream.since()))
            self.stream.start_resync()
        frame_id = await self.send(ws, subscribe=request)
        self.pending_subscribes[frame_id] = with_since

    async def emit(self, ws, publications, via: str) -> None:
        for pub in publications:
            self.emitted += 1
            log("publication", channel=pub.channel, offset=pub.offset, epoch=pub.epoch, type=pub.type,
                data=text_of(pub.payload), via=via)
            if self.args.count and self.emitted >= self.args.count:
                await ws.close(1000, "done")
                log("done", publications=self.emitted)
                raise Stop(0)

    async def session(self, ws) -> None:
        """One connection: Connect, Subscribe (with `since` when a position is known), then frames."""
        token = connection_token(self.args.secret, self.args.user)
        await self.send(ws, connect=client_pb2.Connect(token=token, name="python-example", version="1"))
        async for text in ws:
            frame = json_format.Parse(text, client_pb2.ServerFrame(), ignore_unknown_fields=True)
            kind = frame.WhichOneof("kind")
            if kind == "connected":
                log("connected", connectionId=frame.connected.connection_id, user=frame.connected.user_id)
                await self.subscribe(ws, with_since=self.stream.known)
            elif kind == "subscribed" and frame.id in self.pending_subscribes:
                with_since = self.pending_subscribes.pop(frame.id)
                sub = frame.subscribed
                log("subscribed", channel=sub.channel, durable=sub.durable, wasRecovering=sub.was_recovering,
                    recovered=sub.recovered, position={"offset": sub.position.offset, "epoch": sub.position.epoch},
                    recoveredPublications=len(sub.publications))
                if not sub.durable:
                    log("error", message=f"{sub.channel} is not durable: list its namespace in SWITCHBOARD_DURABLE_NAMESPACES")
                    raise Stop(1)
                missed = {(p.offset, p.epoch) for p in sub.publications}
                outcome = self.stream.on_subscribed(sub, with_since)
                if outcome.lost:
                    log("lost", message="publications were missed and cannot be recovered: reload the channel",
                        position=self.stream.since())
                    if self.args.fail_on_loss:
                        raise Stop(1)
                recovered = [p for p in outcome.emit if (p.offset, p.epoch) in missed]
                await self.emit(ws, recovered, "recovery")
                await self.emit(ws, [p for p in outcome.emit if (p.offset, p.epoch) not in missed], "live")
                if outcome.resubscribe:
                    await self.subscribe(ws, with_since=True)
            elif kind == "publication" and frame.publication.channel == self.args.channel:
                outcome = self.stream.on_publication(frame.publication)
                await self.emit(ws, outcome.emit, "live")
                if outcome.resubscribe:
                    log("gap", position=self.stream.since(), got=frame.publication.offset)
                    await self.subscribe(ws, with_since=True)
            elif kind == "unsubscribed" and frame.unsubscribed.channel == self.args.channel:
                code = frame.unsubscribed.code
                log("unsubscribed", code=code, reason=frame.unsubscribed.reason)
                if 2500 <= code <= 2999:
                    if self.stream.on_unsubscribed(code).resubscribe:
                        await self.subscribe(ws, with_since=True)
                else:
                    raise Stop(1)  # the server ended the subscription
            elif kind == "error":
                log("error", id=frame.id, code=frame.error.code, message=frame.error.message)
                if frame.id in self.pending_subscribes:
                    raise Stop(1)  # the channel is refused (bad name, permission, unavailable)
                # Otherwise (e.g. 110 for the token) the Disconnect frame and the close code that follow decide.
            elif kind == "disconnect":
                self.disconnect = frame.disconnect

    async def run(self) -> None:
        failures = 0
        while True:
            self.disconnect = None
            self.pending_subscribes.clear()
            code, reason = 1006, "connection failed"
            try:
                async with websockets.connect(self.args.url, subprotocols=[SUBPROTOCOL], open_timeout=10) as ws:
                    failures = 0
                    try:
                        await self.session(ws)
                    finally:
                        if ws.close_code is not None:
                            code, reason = ws.close_code, ws.close_reason
            except websockets.ConnectionClosed as closed:
                if closed.rcvd is not None:
                    code, reason = closed.rcvd.code, closed.rcvd.reason
            except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as error:
                reason = str(error)
            # Whether to come back: the Disconnect frame wins over the close-code range (docs/protocol.md).
            if self.disconnect is not None:
                reconnect, delay_ms = self.disconnect.reconnect, self.disconnect.reconnect_delay_ms
            else:
                reconnect, delay_ms = not 3500 <= code <= 3999 and code not in (1002, 1007, 1008, 1009), 0
            failures += 1
            if not delay_ms:  # full-jitter backoff: 0.1 s, 0.2 s, ... up to 5 s
                delay_ms = random.uniform(0, min(5000, 100 * 2 ** min(failures, 6)))
            log("disconnected", code=code, reason=reason, reconnect=reconnect, reconnectInMs=round(delay_ms))
            if not reconnect:
                raise Stop(1)
            await asyncio.sleep(delay_ms / 1000)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("SWITCHBOARD_WS_URL", "ws://localhost:8080/ws"))
    parser.add_argument("--secret", default=os.environ.get("SWITCHBOARD_JWT_SECRET"),
                        help="HS256 secret of the edge (env SWITCHBOARD_JWT_SECRET)")
    parser.add_argument("--user", default="python-example")
    parser.add_argument("--channel", required=True, help="a channel in a durable namespace, e.g. chat:lobby")
    parser.add_argument("--count", type=int, default=0, help="exit 0 after this many publications (0: run on)")
    parser.add_argument("--timeout", type=float, default=0, help="exit 1 after this many seconds (0: never)")
    parser.add_argument("--fail-on-loss", action="store_true", help="exit 1 when a gap cannot be recovered")
    args = parser.parse_args()
    if not args.secret:
        parser.error("--secret or SWITCHBOARD_JWT_SECRET is required (the edge's HS256 secret)")
    client = Client(args)
    try:
        if args.timeout:
            await asyncio.wait_for(client.run(), args.timeout)
        else:
            await client.run()
    except Stop as stop:
        return stop.code
    except asyncio.TimeoutError:
        log("timeout", seconds=args.timeout, publications=client.emitted)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
