"""The bodies a backend puts on Switchboard's bus, and the routing rules (docs/bus-contract.md).

Every body is the Protobuf binary encoding of one message, nothing around it. These functions are the same
for RabbitMQ, Kafka and Redis; publish_amqp.py, publish_kafka.py and publish_redis.py only move the bytes.
"""

import hashlib
import json
import time
import uuid

from google.protobuf import json_format

from switchboard_proto import bus_pb2, client_pb2, orders_pb2

ORDER_KINDS = ("created", "paid", "shipped", "delivered", "cancelled")


def now_ms() -> int:
    return int(time.time() * 1000)


def fnv1a(key: str) -> int:
    """FNV-1a 32-bit over the key's UTF-16 code units (the contract's work key hash)."""
    data = key.encode("utf-16-le")
    h = 0x811C9DC5
    for i in range(0, len(data), 2):
        h = ((h ^ (data[i] | (data[i + 1] << 8))) * 0x01000193) & 0xFFFFFFFF
    return h


def amqp_routing_key(route: str) -> str:
    """`rk(key)`: the route key itself, or `h:<sha256>` when it is over AMQP's 255-byte limit."""
    raw = route.encode("utf-8")
    return route if len(raw) <= 255 else "h:" + hashlib.sha256(raw).hexdigest()


def _payload(data) -> bytes:
    """Payloads are UTF-8 JSON by convention."""
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def _publication(channel: str, type_: str, data) -> client_pb2.Publication:
    # Never set offset or epoch: they belong to the history service.
    return client_pb2.Publication(channel=channel, type=type_, payload=_payload(data), time_ms=now_ms())


def channel_delivery(channel: str, type_: str, data) -> bytes:
    """An ephemeral publication, published to route `c:<channel>`."""
    delivery = bus_pb2.Delivery(channel=channel, published_at_ms=now_ms(),
                                publication=_publication(channel, type_, data))
    return delivery.SerializeToString()


def durable_inbound(channel: str, type_: str, data, request_id: str = "") -> bytes:
    """A durable publication: an Inbound for the history service (work topic `history`, key = channel).

    `request_id` is the idempotency key: fresh for every publication, reused only to retry the same one.
    """
    delivery = bus_pb2.Delivery(channel=channel, durable=True, published_at_ms=now_ms(),
                                publication=_publication(channel, type_, data))
    inbound = bus_pb2.Inbound(service="history", type="history.publish", key=channel, time_ms=now_ms(),
                              request_id=request_id or str(uuid.uuid4()),
                              payload=delivery.SerializeToString())
    return inbound.SerializeToString()


def user_push(user: str, type_: str, data, push_id: str = "") -> bytes:
    """A push to every connection of `user`, published to route `u:<user>`."""
    push = client_pb2.Push(id=push_id or str(uuid.uuid4()), type=type_, payload=_payload(data),
                           time_ms=now_ms())
    return bus_pb2.Delivery(user=user, published_at_ms=now_ms(), push=push).SerializeToString()


def user_disconnect(user: str, reason: str, reconnect: bool, delay_ms: int = 0) -> bytes:
    """Closes every connection of `user`: 3003 = reconnect (after delay_ms), 3502 = do not come back."""
    disconnect = client_pb2.Disconnect(code=3003 if reconnect else 3502, reason=reason, reconnect=reconnect,
                                       reconnect_delay_ms=delay_ms)
    return bus_pb2.Delivery(user=user, published_at_ms=now_ms(), disconnect=disconnect).SerializeToString()


def order_event(user: str, order: str, kind: str, details: dict, event_id: str = "") -> bytes:
    """An OrderEvent (work topic `orders`, key = user id), NOT wrapped in an Inbound.

    `details` holds the kind's fields in proto3 JSON, e.g. {"carrier": "DHL", "trackingNumber": "1Z9"}.
    """
    if kind not in ORDER_KINDS:
        raise ValueError(f"order kind {kind!r} is not one of {', '.join(ORDER_KINDS)}")
    event = orders_pb2.OrderEvent(event_id=event_id or str(uuid.uuid4()), order_id=order, user_id=user,
                                  time_ms=now_ms())
    json_format.ParseDict(details, getattr(event, kind))
    getattr(event, kind).SetInParent()  # a kind without details is still that kind
    return event.SerializeToString()
