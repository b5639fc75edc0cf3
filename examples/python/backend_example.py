#!/usr/bin/env python3
"""What a Python backend writes to reach Switchboard's clients, on any of the three buses.

    python3 backend_example.py amqp://guest:guest@localhost:5672/%2F alice   # or redis://…, or kafka://host:9092
Publishes to channel `news` (ephemeral), to `chat:lobby` (durable) and a push to user `alice`.
"""

import sys

from messages import channel_delivery, durable_inbound, user_push


def connect(url: str):
    """The publisher for a broker URL: amqp:// (pika), redis:// (redis-py), kafka://host:port,… (kafka-python)."""
    if url.startswith(("amqp://", "amqps://")):
        from publish_amqp import AmqpPublisher
        return AmqpPublisher(url)
    if url.startswith(("redis://", "rediss://")):
        from publish_redis import RedisPublisher
        return RedisPublisher(url)
    from publish_kafka import KafkaPublisher
    return KafkaPublisher(url)


def main(url: str, user: str, channel: str = "news", room: str = "chat:lobby") -> None:
    bus = connect(url)
    try:
        bus.delivery(f"c:{channel}", channel_delivery(channel, "news.posted", {"title": "Hi"}))  # ephemeral
        bus.work("history", room, durable_inbound(room, "chat.notice", {"text": "Hi"}))  # durable: offset, recovery
        bus.delivery(f"u:{user}", user_push(user, "invoice.ready", {"invoice": "i-1"}))  # every connection of user
    finally:
        bus.close()
    print(f"published to {channel}, {room} and user {user}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 5):
        sys.exit("usage: backend_example.py BROKER_URL USER [CHANNEL DURABLE_CHANNEL]")
    main(*sys.argv[1:])
