<?php
// RabbitMQ with php-amqplib: deliveries to the direct exchange `sb.deliveries`, work to the topic exchange
// `sb.work` (routing key `<topic>.<fnv1a(key) % 16>`, persistent, header x-sb-key, mandatory), every publish
// confirmed by the broker (publisher confirms) before it returns.
declare(strict_types=1);

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Connection\AMQPConnectionConfig;
use PhpAmqpLib\Connection\AMQPConnectionFactory;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

sb_require_amqplib();

final class SbAmqpBus implements SbBus
{
    /** Seconds to wait for the broker's confirm of one publish. */
    private const CONFIRM_TIMEOUT_S = 10;

    private ?string $refused = null;

    private function __construct(
        private readonly AbstractConnection $connection,
        private readonly AMQPChannel $channel,
        private readonly string $url,
    ) {
        $channel->confirm_select();
        $channel->set_nack_handler(function (AMQPMessage $message): void {
            $this->refused = 'the broker refused it (basic.nack)';
        });
        // A mandatory work message that no queue takes comes back here before its (positive) confirm.
        $channel->set_return_listener(function (int $code, string $text, string $exchange, string $routingKey): void {
            $this->refused = "no queue took it ($code $text, $exchange/$routingKey): is the consuming service running yet?";
        });
    }

    public static function connect(string $url, string $connectionName = 'php-example'): self
    {
        $parts = parse_url($url);
        $config = new AMQPConnectionConfig();
        $config->setHost($parts['host'] ?? 'localhost');
        $config->setPort($parts['port'] ?? ($parts['scheme'] === 'amqps' ? 5671 : 5672));
        $config->setUser(rawurldecode($parts['user'] ?? 'guest'));
        $config->setPassword(rawurldecode($parts['pass'] ?? 'guest'));
        $path = $parts['path'] ?? '';
        $config->setVhost($path === '' || $path === '/' ? '/' : rawurldecode(substr($path, 1)));
        $config->setIsSecure($parts['scheme'] === 'amqps');
        $config->setConnectionName($connectionName);
        $connection = AMQPConnectionFactory::create($config);
        $channel = $connection->channel();
        // Passive: the exchanges are Switchboard's; declaring them with other arguments would close the channel.
        foreach (['sb.deliveries', 'sb.work'] as $exchange) {
            try {
                $channel->exchange_declare($exchange, '', true);
            } catch (\PhpAmqpLib\Exception\AMQPProtocolChannelException $e) {
                $connection->close();
                throw new RuntimeException(
                    "exchange $exchange does not exist on " . sb_redact($url) . ': start Switchboard (an edge or a service) on this broker first',
                    0,
                    $e,
                );
            }
        }
        return new self($connection, $channel, $url);
    }

    public function publishDelivery(string $routeKey, string $delivery): void
    {
        $message = new AMQPMessage($delivery, [
            'delivery_mode' => AMQPMessage::DELIVERY_MODE_NON_PERSISTENT, // fan-out is at most once
            'content_type' => 'application/x-protobuf',
            'application_headers' => new AMQPTable(['x-sb-route' => $routeKey]),
        ]);
        $this->channel->basic_publish($message, 'sb.deliveries', sb_amqp_routing_key($routeKey));
        $this->awaitConfirm("delivery to $routeKey");
    }

    public function publishWork(string $topic, string $key, string $body): void
    {
        $message = new AMQPMessage($body, [
            'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
            'content_type' => 'application/x-protobuf',
            'application_headers' => new AMQPTable(['x-sb-key' => $key]),
        ]);
        $routingKey = $topic . '.' . (sb_fnv1a($key) % 16);
        $this->channel->basic_publish($message, 'sb.work', $routingKey, true); // mandatory
        $this->awaitConfirm("work $routingKey (key $key)");
    }

    /**
     * One publish at a time keeps the example simple. For bulk, publish many and call
     * wait_for_pending_acks_returns() once: RabbitMQ keeps them in order on one channel.
     */
    private function awaitConfirm(string $what): void
    {
        $this->refused = null;
        $this->channel->wait_for_pending_acks_returns(self::CONFIRM_TIMEOUT_S);
        if ($this->refused !== null) throw new RuntimeException("$what was not accepted: $this->refused");
    }

    public function consumeWork(string $topic, string $group, callable $handler, callable $ready, callable $stop): void
    {
        sb_check_group($group);
        $queue = "sb.work.$topic.$group";
        $channel = $this->connection->channel();
        // Durable, no other arguments; it keeps messages while this consumer is down. For several instances
        // that keep per-key order, add x-single-active-consumer=true when you first declare it.
        $channel->queue_declare($queue, false, true, false, false);
        $channel->queue_bind($queue, 'sb.work', "$topic.*"); // all 16 buckets
        $channel->basic_qos(0, 16, false);
        $channel->basic_consume($queue, '', false, false, false, false, static function (AMQPMessage $message) use ($handler): void {
            $headers = $message->has('application_headers') ? $message->get('application_headers')->getNativeData() : [];
            sb_handle_safely($handler, $message->getBody(), (string) ($headers['x-sb-key'] ?? ''));
            $message->ack();
        });
        $ready("queue $queue");
        while (!$stop()) {
            try {
                $channel->wait(null, false, 1.0);
            } catch (\PhpAmqpLib\Exception\AMQPTimeoutException) {
                // nothing within a second: check $stop again
            }
        }
        $channel->close();
    }

    public function describe(): string
    {
        return 'RabbitMQ ' . sb_redact($this->url);
    }

    public function close(): void
    {
        $this->channel->close();
        $this->connection->close();
    }
}
