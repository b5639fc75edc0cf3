#!/usr/bin/env python3
"""Publish to Switchboard through Kafka with kafka-python (docs/bus-contract.md, "Kafka").

    python3 publish_kafka.py --url localhost:9092 channel --channel news --type news.posted --data '{"title":"Hi"}'
(env SWITCHBOARD_KAFKA_BROKERS, comma-separated host:port, a kafka:// prefix is accepted; more: --help)

kafka-python's default partitioner is murmur2 like the Java client and the Node transport, so a key lands on
the same partition whoever publishes it (librdkafka-based clients need partitioner=murmur2_random).
"""

import sys

from kafka import KafkaProducer

from publish_cli import Publisher, main

SEND_TIMEOUT_S = 15


class KafkaPublisher(Publisher):
    def __init__(self, url: str) -> None:
        servers = url.removeprefix("kafka://").split(",")
        self.producer = KafkaProducer(
            bootstrap_servers=servers,
            acks="all",
            # One request in flight: a retried batch cannot overtake the next one (kafka-python has no
            # idempotent producer).
            max_in_flight_requests_per_connection=1,
            retries=5,
            # Fail instead of waiting a minute when the broker or the topic is not there.
            max_block_ms=SEND_TIMEOUT_S * 1000,
        )

    def _send(self, topic: str, key, body: bytes, headers) -> str:
        # .get() waits for the broker's acknowledgement (acks=all) and raises on failure.
        metadata = self.producer.send(topic, value=body, key=key, headers=headers).get(timeout=SEND_TIMEOUT_S)
        return f"{topic} partition {metadata.partition} offset {metadata.offset}"

    def delivery(self, route: str, body: bytes) -> str:
        # One partition, no record key; the edges read the route from the header.
        return self._send("sb.deliveries", None, body, [("sb-route", route.encode("utf-8"))])

    def work(self, topic: str, key: str, body: bytes) -> str:
        return self._send(f"sb.work.{topic}", key.encode("utf-8"), body, [("sb-key", key.encode("utf-8"))])

    def close(self) -> None:
        self.producer.close(timeout=SEND_TIMEOUT_S)


if __name__ == "__main__":
    sys.exit(main("kafka", "SWITCHBOARD_KAFKA_BROKERS", "localhost:9092", KafkaPublisher))
