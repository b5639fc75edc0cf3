#!/usr/bin/env python3
"""Publish to Switchboard through RabbitMQ with pika (docs/bus-contract.md, "RabbitMQ").

    python3 publish_amqp.py --url amqp://guest:guest@localhost:5672/ channel --channel news --type news.posted --data '{"title":"Hi"}'
(env SWITCHBOARD_AMQP_URL; more commands: python3 publish_amqp.py --help)
"""

import sys

import pika

import messages
from publish_cli import Publisher, main


class AmqpPublisher(Publisher):
    def __init__(self, url: str) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        # Passive: the Switchboard processes declare these; a declare with other arguments would fail.
        try:
            self.channel.exchange_declare("sb.deliveries", passive=True)
            self.channel.exchange_declare("sb.work", passive=True)
        except pika.exceptions.ChannelClosedByBroker as error:
            self.connection.close()
            raise RuntimeError(f"{error.reply_text}: start Switchboard on this broker first (it declares them)") from error
        # Publisher confirms: basic_publish returns once the broker has the message (raises on a nack, or
        # UnroutableError when a mandatory message came back).
        self.channel.confirm_delivery()

    def delivery(self, route: str, body: bytes) -> str:
        key = messages.amqp_routing_key(route)
        # Not persistent, not mandatory: fan-out is at most once, and a route nobody listens to is normal.
        self.channel.basic_publish("sb.deliveries", key, body, pika.BasicProperties(headers={"x-sb-route": route}))
        return f"sb.deliveries, routing key {key}"

    def work(self, topic: str, key: str, body: bytes) -> str:
        routing_key = f"{topic}.{messages.fnv1a(key) % 16}"
        try:
            self.channel.basic_publish(
                "sb.work", routing_key, body,
                pika.BasicProperties(delivery_mode=2, headers={"x-sb-key": key}),
                mandatory=True,  # with no queue bound yet (the service never ran) it comes back instead of vanishing
            )
        except pika.exceptions.UnroutableError as error:
            raise RuntimeError(f"no queue takes {routing_key} yet: start the {topic} consumers first") from error
        return f"sb.work, routing key {routing_key}, confirmed"

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


if __name__ == "__main__":
    sys.exit(main("amqp", "SWITCHBOARD_AMQP_URL", "amqp://guest:guest@localhost:5672/%2F", AmqpPublisher))
