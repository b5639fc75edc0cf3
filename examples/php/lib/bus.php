<?php
// The two ways a PHP backend reaches Switchboard's bus, behind one small interface. Pick by URL:
// amqp://user:pass@host:5672/vhost (RabbitMQ, php-amqplib) or redis://[:pass@]host:6379[/db] (php-redis).
declare(strict_types=1);

interface SbBus
{
    /** Fan-out to the edges interested in `$routeKey` (`c:<channel>`, `u:<user>`, `n:<node>`, `*`). */
    public function publishDelivery(string $routeKey, string $delivery): void;

    /** Work for every consumer group of `$topic`, ordered by `$key`; returns once the broker has it. */
    public function publishWork(string $topic, string $key, string $body): void;

    /**
     * Consumes work topic `$topic` as consumer group `$group` (a group of your own: every group gets every
     * message, so this takes nothing from Switchboard's services). `$handler($body, $key)` runs per message,
     * which is acknowledged after it returns, and also when it throws (logged: a message that cannot be
     * handled is dropped, not retried forever). `$ready()` runs once the group is set up; returns after
     * `$stop()` says true (checked at least every second).
     */
    public function consumeWork(string $topic, string $group, callable $handler, callable $ready, callable $stop): void;

    /** The bus in words, without credentials, for logs. */
    public function describe(): string;

    public function close(): void;
}

function sb_connect_bus(string $url): SbBus
{
    $scheme = strtolower((string) parse_url($url, PHP_URL_SCHEME));
    if ($scheme === 'amqp' || $scheme === 'amqps') {
        require_once __DIR__ . '/amqp-bus.php';
        return SbAmqpBus::connect($url);
    }
    if ($scheme === 'redis' || $scheme === 'rediss') {
        require_once __DIR__ . '/redis-bus.php';
        return SbRedisBus::connect($url);
    }
    throw new InvalidArgumentException(
        "bus URL \"$scheme://…\" is neither amqp:// nor redis://: set --bus or SWITCHBOARD_BUS (Kafka: see docs/bus-contract.md)",
    );
}

/** Publishes a Delivery on the route of its target (channel `c:`, user `u:`, connection `n:<node>`, all `*`). */
function sb_send(SbBus $bus, Switchboard\V1\Delivery $delivery): void
{
    $route = match ($delivery->getTarget()) {
        'channel' => sb_route_of_channel($delivery->getChannel()),
        'user' => sb_route_of_user($delivery->getUser()),
        'connection' => sb_route_of_connection($delivery->getConnection()),
        'all' => SB_ROUTE_ALL,
        default => throw new InvalidArgumentException('a Delivery needs a target: channel, user, connection or all'),
    };
    $bus->publishDelivery($route, $delivery->serializeToString());
}

/** Group names Switchboard's own services use: consuming as one of them would take its messages. */
const SB_SERVICE_GROUPS = ['presence', 'notifications', 'history', 'chat', 'api'];

function sb_check_group(string $group): void
{
    if (!preg_match('/^[A-Za-z0-9_-]{1,100}$/', $group)) {
        throw new InvalidArgumentException("group \"$group\" must match [A-Za-z0-9_-]{1,100}");
    }
    if (in_array($group, SB_SERVICE_GROUPS, true)) {
        throw new InvalidArgumentException("group \"$group\" is a Switchboard service's: pick your own, e.g. crm-lifecycle");
    }
}

/** Runs `$handler($body, $key)`; a failure is logged and the message counts as handled (see SbBus). */
function sb_handle_safely(callable $handler, string $body, string $key): void
{
    try {
        $handler($body, $key);
    } catch (Throwable $e) {
        fwrite(STDERR, 'dropped a message (key ' . json_encode($key) . ') that failed: ' . $e->getMessage() . "\n");
    }
}

/** The URL without its password, for messages. */
function sb_redact(string $url): string
{
    return preg_replace('#//([^:/@]*):[^@]*@#', '//$1:***@', $url) ?? $url;
}
