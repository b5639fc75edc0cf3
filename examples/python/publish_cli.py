"""The command line shared by publish_amqp.py, publish_kafka.py and publish_redis.py.

    publish_<bus>.py [--url URL] channel --channel news --type news.posted --data '{"title":"Hi"}' [--data …] [--durable]
    publish_<bus>.py [--url URL] user --user alice --type invoice.ready --data '{"invoice":"i-1"}'
    publish_<bus>.py [--url URL] order --user alice --order o-1 --kind shipped --details '{"carrier":"DHL"}'
    publish_<bus>.py [--url URL] disconnect --user alice [--reason maintenance] [--delay-ms 2000] [--no-reconnect]

Each --data is one publication, published in the order given, each confirmed by the broker before the next.
Prints one line per message; exits 1 (with the error) when anything fails.
"""

import argparse
import json
import os
import sys

import messages


class Publisher:
    """What a bus script implements: the two kinds of traffic (docs/bus-contract.md)."""

    def delivery(self, route: str, body: bytes) -> str:
        """Fan-out to the edges with interest in `route` (`c:<channel>`, `u:<user>`, …); returns a note."""
        raise NotImplementedError

    def work(self, topic: str, key: str, body: bytes) -> str:
        """A work message for the consumer groups of `topic`, ordered by `key`; returns a note."""
        raise NotImplementedError

    def close(self) -> None:
        pass


def _json(text: str):
    try:
        return json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from error


def parser(bus: str, url_env: str, default_url: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"publish_{bus}.py", description=f"Publish to Switchboard over {bus}.")
    p.add_argument("--url", default=os.environ.get(url_env, default_url), help=f"broker URL (env {url_env})")
    commands = p.add_subparsers(dest="command", required=True)

    channel = commands.add_parser("channel", help="publish to a channel")
    channel.add_argument("--channel", required=True)
    channel.add_argument("--type", required=True)
    channel.add_argument("--data", type=_json, action="append", required=True, help="JSON; repeat for more")
    channel.add_argument("--durable", action="store_true", help="through the history service: offsets, recovery")

    user = commands.add_parser("user", help="push to every connection of a user")
    user.add_argument("--user", required=True)
    user.add_argument("--type", required=True)
    user.add_argument("--data", type=_json, action="append", required=True, help="JSON; repeat for more")

    order = commands.add_parser("order", help="an order event for the notifications service")
    order.add_argument("--user", required=True)
    order.add_argument("--order", required=True)
    order.add_argument("--kind", required=True, choices=messages.ORDER_KINDS)
    order.add_argument("--details", type=_json, default={}, help='the kind\'s fields, e.g. {"carrier":"DHL"}')
    order.add_argument("--event-id", default="", help="idempotency key (default: a fresh UUID)")

    disconnect = commands.add_parser("disconnect", help="close every connection of a user")
    disconnect.add_argument("--user", required=True)
    disconnect.add_argument("--reason", default="disconnected by the backend")
    disconnect.add_argument("--delay-ms", type=int, default=0, help="how long the client waits to reconnect")
    disconnect.add_argument("--no-reconnect", action="store_true", help="3502: do not come back")
    return p


def publish(publisher: Publisher, bus: str, args) -> None:
    if args.command == "channel":
        for data in args.data:
            if args.durable:
                note = publisher.work("history", args.channel,
                                      messages.durable_inbound(args.channel, args.type, data))
            else:
                note = publisher.delivery(f"c:{args.channel}", messages.channel_delivery(args.channel, args.type, data))
            kind = "durable" if args.durable else "ephemeral"
            print(f"{bus}: {kind} {args.type} {json.dumps(data)} to channel {args.channel} ({note})")
    elif args.command == "user":
        for data in args.data:
            note = publisher.delivery(f"u:{args.user}", messages.user_push(args.user, args.type, data))
            print(f"{bus}: push {args.type} {json.dumps(data)} to user {args.user} ({note})")
    elif args.command == "order":
        body = messages.order_event(args.user, args.order, args.kind, args.details, args.event_id)
        note = publisher.work("orders", args.user, body)
        print(f"{bus}: order event {args.kind} of {args.order} for user {args.user} ({note})")
    elif args.command == "disconnect":
        body = messages.user_disconnect(args.user, args.reason, not args.no_reconnect, args.delay_ms)
        note = publisher.delivery(f"u:{args.user}", body)
        print(f"{bus}: disconnect of user {args.user} ({note})")


def main(bus: str, url_env: str, default_url: str, connect) -> int:
    """Parses the command line, connects with `connect(url)`, publishes; 0 on success, 1 on failure."""
    args = parser(bus, url_env, default_url).parse_args()
    try:
        publisher = connect(args.url)
    except Exception as error:  # noqa: BLE001 (any connection failure ends the script with its message)
        print(f"{bus}: cannot connect to {args.url}: {error!r}", file=sys.stderr)
        return 1
    try:
        publish(publisher, bus, args)
        return 0
    except Exception as error:  # noqa: BLE001
        print(f"{bus}: publish failed: {error!r}", file=sys.stderr)
        return 1
    finally:
        publisher.close()
