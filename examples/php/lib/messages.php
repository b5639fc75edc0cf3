<?php
// Builds the Protobuf bodies a backend puts on Switchboard's bus, and the names they travel under, exactly
// as docs/bus-contract.md describes them (contract v1 = Protobuf package switchboard.v1).
declare(strict_types=1);

use Switchboard\V1\Delivery;
use Switchboard\V1\Disconnect;
use Switchboard\V1\Inbound;
use Switchboard\V1\OrderCancelled;
use Switchboard\V1\OrderCreated;
use Switchboard\V1\OrderDelivered;
use Switchboard\V1\OrderEvent;
use Switchboard\V1\OrderPaid;
use Switchboard\V1\OrderShipped;
use Switchboard\V1\Publication;
use Switchboard\V1\Push;

function sb_now_ms(): int
{
    return (int) floor(microtime(true) * 1000);
}

/** A random (version 4) UUID: push ids, durable publish ids (idempotency keys), order event ids. */
function sb_uuid(): string
{
    $b = random_bytes(16);
    $b[6] = chr((ord($b[6]) & 0x0f) | 0x40);
    $b[8] = chr((ord($b[8]) & 0x3f) | 0x80);
    return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($b), 4));
}

/**
 * FNV-1a 32-bit over the key's UTF-16 code units (not its UTF-8 bytes; the same for ASCII keys). Picks the
 * RabbitMQ bucket (`% 16`) and the Redis shard (`% shards`) of a work message, so that messages with one key
 * land where Switchboard's own publishers put them and keep their order.
 */
function sb_fnv1a(string $key): int
{
    $h = 0x811c9dc5;
    foreach (mb_str_split($key, 1, 'UTF-8') as $char) {
        $cp = mb_ord($char, 'UTF-8');
        $units = $cp < 0x10000
            ? [$cp]
            : [0xD800 + (($cp - 0x10000) >> 10), 0xDC00 + (($cp - 0x10000) & 0x3FF)];
        foreach ($units as $u) {
            $h = (($h ^ $u) * 0x01000193) & 0xFFFFFFFF; // below 2^57: no float on 64-bit PHP
        }
    }
    return $h;
}

/** Route key of a delivery target: `c:<channel>`, `u:<user>`, `n:<node of a connection id>`, `*`. */
function sb_route_of_channel(string $channel): string
{
    return "c:$channel";
}

function sb_route_of_user(string $user): string
{
    return "u:$user";
}

function sb_route_of_connection(string $connectionId): string
{
    return 'n:' . explode('.', $connectionId, 2)[0];
}

const SB_ROUTE_ALL = '*';

/** RabbitMQ: AMQP routing keys hold at most 255 bytes; longer route keys are sent as `h:<sha256 hex>`. */
function sb_amqp_routing_key(string $routeKey): string
{
    return strlen($routeKey) <= 255 ? $routeKey : 'h:' . hash('sha256', $routeKey);
}

/** JSON for a payload; Switchboard's SDKs and API send UTF-8 JSON, so do the same. */
function sb_json(mixed $data): string
{
    return json_encode($data, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
}

/**
 * An ephemeral channel publication: straight to the edges, at most once, no offset.
 * GatewayWorker: `Gateway::sendToGroup($channel, …)`.
 */
function sb_channel_delivery(string $channel, string $type, string $payload, string $exceptConnection = ''): Delivery
{
    $now = sb_now_ms();
    return new Delivery([
        'channel' => $channel,
        'except_connection' => $exceptConnection,
        'published_at_ms' => $now,
        // Never set offset or epoch here: they belong to the history service.
        'publication' => new Publication(['channel' => $channel, 'type' => $type, 'payload' => $payload, 'time_ms' => $now]),
    ]);
}

/**
 * A durable channel publication: an Inbound for the history service (work topic `history`, key = channel),
 * which gives it the next offset, stores it and fans it out. `$publishId` is the idempotency key: reuse it
 * only to retry the same publication.
 */
function sb_durable_publish(string $channel, string $type, string $payload, ?string $publishId = null): Inbound
{
    $now = sb_now_ms();
    $delivery = new Delivery([
        'channel' => $channel,
        'durable' => true,
        'published_at_ms' => $now,
        'publication' => new Publication(['channel' => $channel, 'type' => $type, 'payload' => $payload, 'time_ms' => $now]),
    ]);
    return new Inbound([
        'service' => 'history',
        'type' => 'history.publish',
        'key' => $channel,
        'time_ms' => $now,
        'request_id' => $publishId ?? sb_uuid(),
        'payload' => $delivery->serializeToString(),
        // origin left unset (ORIGIN_BACKEND): only edges stamp the others.
    ]);
}

/**
 * A push to every connection of a user (GatewayWorker: `Gateway::sendToUid`). Use sb_route_of_connection()
 * and 'connection' for one connection (`sendToClient`), SB_ROUTE_ALL and 'all' for everyone (`sendToAll`).
 */
function sb_push_delivery(string $target, string $to, string $type, string $payload): Delivery
{
    $now = sb_now_ms();
    return new Delivery([
        $target => $target === 'all' ? true : $to,
        'published_at_ms' => $now,
        'push' => new Push(['id' => sb_uuid(), 'type' => $type, 'payload' => $payload, 'time_ms' => $now]),
    ]);
}

/** Closes the connections of a user (`Gateway::closeClient` for all of them); reconnect=false keeps them out. */
function sb_disconnect_delivery(string $user, string $reason, bool $reconnect): Delivery
{
    return new Delivery([
        'user' => $user,
        'published_at_ms' => sb_now_ms(),
        'disconnect' => new Disconnect(['code' => $reconnect ? 3003 : 3502, 'reason' => $reason, 'reconnect' => $reconnect]),
    ]);
}

/**
 * An order event for the notifications service (work topic `orders`, key = user id, NOT wrapped in an
 * Inbound). It keeps the notification in the user's inbox until a client acks it.
 * $kind: created | paid | shipped | delivered | cancelled; $details: that kind's fields.
 */
function sb_order_event(string $user, string $orderId, string $kind, array $details = [], ?string $eventId = null): OrderEvent
{
    $classes = [
        'created' => OrderCreated::class,
        'paid' => OrderPaid::class,
        'shipped' => OrderShipped::class,
        'delivered' => OrderDelivered::class,
        'cancelled' => OrderCancelled::class,
    ];
    if (!isset($classes[$kind])) {
        throw new InvalidArgumentException("order kind \"$kind\" is not one of " . implode(', ', array_keys($classes)));
    }
    return new OrderEvent([
        'event_id' => $eventId ?? sb_uuid(),
        'order_id' => $orderId,
        'user_id' => $user,
        'time_ms' => sb_now_ms(),
        $kind => new $classes[$kind]($details),
    ]);
}
