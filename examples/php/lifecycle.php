<?php
// Follows connections coming and going on every edge: the bus's `lifecycle` work topic, read by a consumer
// group of your own, so Switchboard's presence and notifications services still get every event.
// GatewayWorker: this is where your Events::onConnect / Events::onClose code goes.
//
//   php lifecycle.php [--bus URL] [--group NAME] [--heartbeats]
//
// --bus defaults to $SWITCHBOARD_BUS; --group (default php-lifecycle) names your group: RabbitMQ queue
// sb.work.lifecycle.<group>, Redis consumer group <group> on sb:work:lifecycle:*. Prints one line per
// event; stops on SIGINT/SIGTERM.
declare(strict_types=1);
require __DIR__ . '/lib/bootstrap.php';
require __DIR__ . '/lib/cli.php';
require __DIR__ . '/lib/messages.php';
require __DIR__ . '/lib/bus.php';

use Switchboard\V1\LifecycleEvent;

/** A connection was opened (authenticated) on node $node. $info: the token's `info` claim, JSON or ''. */
function onConnect(string $connectionId, string $userId, string $node, string $info): void
{
    echo "connect    user=$userId connection=$connectionId node=$node" . ($info === '' ? '' : " info=$info") . "\n";
}

/** It is gone: closed by the client (code 1000/1001), by the edge (3xxx, see docs/protocol.md), or its node died. */
function onClose(string $connectionId, string $userId, string $node, int $code, string $reason): void
{
    echo "disconnect user=$userId connection=$connectionId node=$node code=$code reason=" . json_encode($reason) . "\n";
}

function onSubscribe(string $connectionId, string $userId, string $channel, bool $subscribed): void
{
    echo ($subscribed ? 'subscribe  ' : 'unsubscribe') . " user=$userId connection=$connectionId channel=$channel\n";
}

[$options] = sb_parse_args($argv, ['bus', 'group'], ['heartbeats']);
$group = $options['group'] ?? 'php-lifecycle';
$showHeartbeats = isset($options['heartbeats']);

$stopping = false;
pcntl_async_signals(true);
foreach ([SIGINT, SIGTERM] as $signal) {
    pcntl_signal($signal, static function () use (&$stopping): void {
        $stopping = true;
    });
}

try {
    $bus = sb_connect_bus(sb_bus_url($options));
    $bus->consumeWork(
        'lifecycle',
        $group,
        static function (string $body) use ($showHeartbeats): void {
            $event = new LifecycleEvent();
            $event->mergeFromString($body); // throws on a body that is not a LifecycleEvent: logged, dropped
            $node = $event->getNodeId();
            switch ($event->getEvent()) {
                case 'connection_opened':
                    $e = $event->getConnectionOpened();
                    onConnect($e->getConnectionId(), $e->getUserId(), $node, $e->getInfo());
                    break;
                case 'connection_closed':
                    $e = $event->getConnectionClosed();
                    onClose($e->getConnectionId(), $e->getUserId(), $node, $e->getCode(), $e->getReason());
                    break;
                case 'subscribed':
                    $e = $event->getSubscribed();
                    onSubscribe($e->getConnectionId(), $e->getUserId(), $e->getChannel(), true);
                    break;
                case 'unsubscribed':
                    $e = $event->getUnsubscribed();
                    onSubscribe($e->getConnectionId(), $e->getUserId(), $e->getChannel(), false);
                    break;
                case 'heartbeat':
                    // Every few seconds per node. A node whose heartbeats stop for lease_ms is dead, and with it
                    // its connections: no connection_closed comes for them (presence expires them by lease).
                    $e = $event->getHeartbeat();
                    if ($showHeartbeats) echo "heartbeat  node=$node connections={$e->getConnections()} lease_ms={$e->getLeaseMs()}\n";
                    break;
                default:
                    // A newer edge may send kinds this code does not know yet: skip them.
            }
        },
        static function (string $where) use ($bus, $group): void {
            echo "ready: reading lifecycle events on {$bus->describe()} as group $group ($where)\n";
        },
        static function () use (&$stopping): bool {
            return $stopping;
        },
    );
    $bus->close();
    echo "stopped\n";
} catch (Throwable $e) {
    sb_fail(get_class($e) . ': ' . $e->getMessage());
}
