<?php
// Publishes to Switchboard's clients straight on the broker (RabbitMQ or Redis), as docs/bus-contract.md
// describes. Each JSON argument is one message, published in the order given.
//
//   php publish.php [--bus URL] channel <channel> [--type T] [--durable] [--except <connection id>] <json>...
//   php publish.php [--bus URL] user <user id> [--type T] <json>...          (Gateway::sendToUid)
//   php publish.php [--bus URL] connection <connection id> [--type T] <json>... (Gateway::sendToClient)
//   php publish.php [--bus URL] all [--type T] <json>...                       (Gateway::sendToAll)
//   php publish.php [--bus URL] order <user id> <order id> <kind> [<details json>] [--event-id ID]
//   php publish.php [--bus URL] disconnect <user id> [--reason R] [--reconnect]  (Gateway::closeClient, per user)
//
// --bus defaults to $SWITCHBOARD_BUS: amqp://user:pass@host:5672/vhost or redis://host:6379.
// Prints one line per message; exits 1 (with the reason) when the broker did not take one.
declare(strict_types=1);
require __DIR__ . '/lib/bootstrap.php';
require __DIR__ . '/lib/cli.php';
require __DIR__ . '/lib/messages.php';
require __DIR__ . '/lib/bus.php';

[$options, $args] = sb_parse_args($argv, ['bus', 'type', 'except', 'event-id', 'reason'], ['durable', 'reconnect']);
$command = array_shift($args) ?? sb_fail('say what to publish: channel, user, connection, all, order or disconnect (see the top of publish.php)');

/** @return list<string> the JSON arguments, checked (payloads are UTF-8 JSON by convention) */
function payloads(array $args): array
{
    if ($args === []) sb_fail('give at least one JSON payload, e.g. \'{"title":"hello"}\'');
    foreach ($args as $json) {
        json_decode($json);
        if (json_last_error() !== JSON_ERROR_NONE) sb_fail("payload is not JSON: $json");
    }
    return $args;
}

try {
    $bus = sb_connect_bus(sb_bus_url($options));
    $type = $options['type'] ?? 'message';
    switch ($command) {
        case 'channel':
            $channel = array_shift($args) ?? sb_fail('channel: which channel?');
            foreach (payloads($args) as $json) {
                if (isset($options['durable'])) {
                    // Through the history service: it numbers, stores and then fans out the publication.
                    $inbound = sb_durable_publish($channel, $type, $json);
                    $bus->publishWork('history', $channel, $inbound->serializeToString());
                    echo "published durable $type to channel $channel (publish id {$inbound->getRequestId()}): $json\n";
                } else {
                    sb_send($bus, sb_channel_delivery($channel, $type, $json, $options['except'] ?? ''));
                    echo "published ephemeral $type to channel $channel: $json\n";
                }
            }
            break;
        case 'user':
        case 'connection':
            $to = array_shift($args) ?? sb_fail("$command: which $command?");
            foreach (payloads($args) as $json) {
                $delivery = sb_push_delivery($command, $to, $type, $json);
                sb_send($bus, $delivery);
                echo "pushed $type to $command $to (push id {$delivery->getPush()->getId()}): $json\n";
            }
            break;
        case 'all':
            foreach (payloads($args) as $json) {
                $delivery = sb_push_delivery('all', '', $type, $json);
                sb_send($bus, $delivery);
                echo "pushed $type to everyone (push id {$delivery->getPush()->getId()}): $json\n";
            }
            break;
        case 'order':
            [$user, $orderId, $kind] = array_pad(array_splice($args, 0, 3), 3, null);
            if ($kind === null) sb_fail('order: give <user id> <order id> <kind>');
            $details = $args === [] ? [] : json_decode($args[0], true, 8, JSON_THROW_ON_ERROR);
            $event = sb_order_event($user, $orderId, $kind, $details, $options['event-id'] ?? null);
            $bus->publishWork('orders', $user, $event->serializeToString());
            echo "sent order event $kind of order $orderId for user $user (event id {$event->getEventId()})\n";
            break;
        case 'disconnect':
            // Closes every connection of the user: 3502 (stay away) or, with --reconnect, 3003 (come back).
            $user = array_shift($args) ?? sb_fail('disconnect: which user?');
            $reconnect = isset($options['reconnect']);
            sb_send($bus, sb_disconnect_delivery($user, $options['reason'] ?? '', $reconnect));
            echo "sent a disconnect to every connection of user $user (" . ($reconnect ? 'may reconnect' : 'must not reconnect') . ")\n";
            break;
        default:
            sb_fail("unknown command \"$command\": channel, user, connection, all, order or disconnect");
    }
    $bus->close();
} catch (Throwable $e) {
    sb_fail(get_class($e) . ': ' . $e->getMessage());
}
