#!/usr/bin/env python3
"""Publish to Switchboard through Redis with redis-py (docs/bus-contract.md, "Redis").

    python3 publish_redis.py --url redis://localhost:6379 channel --channel news --type news.posted --data '{"title":"Hi"}'
(env SWITCHBOARD_REDIS_URL; more commands: python3 publish_redis.py --help)
"""

import sys

import redis

import messages
from publish_cli import Publisher, main


class RedisPublisher(Publisher):
    def __init__(self, url: str) -> None:
        self.redis = redis.Redis.from_url(url)
        self.redis.ping()
        self.shards = {}

    def _shards(self, topic: str) -> int:
        """The topic's shard count, fixed by its first user (16 unless set otherwise)."""
        if topic not in self.shards:
            meta = f"sb:meta:{topic}:shards"
            self.redis.set(meta, 16, nx=True)
            self.shards[topic] = int(self.redis.get(meta))
        return self.shards[topic]

    def delivery(self, route: str, body: bytes) -> str:
        receivers = self.redis.publish(f"sb:d:{route}", body)
        return f"sb:d:{route}, {receivers} edge node(s) listening"

    def work(self, topic: str, key: str, body: bytes) -> str:
        stream = f"sb:work:{topic}:{messages.fnv1a(key) % self._shards(topic)}"
        entry = self.redis.xadd(stream, {"k": key, "b": body}, maxlen=100_000, approximate=True)
        return f"{stream} entry {entry.decode()}"

    def close(self) -> None:
        self.redis.close()


if __name__ == "__main__":
    sys.exit(main("redis", "SWITCHBOARD_REDIS_URL", "redis://localhost:6379", RedisPublisher))
