<?php
// Redis with php-redis: deliveries are `PUBLISH sb:d:<route key> <Delivery>`, work is `XADD` to the shard
// stream `sb:work:<topic>:<fnv1a(key) % shards>` with the fields k (key) and b (body).
declare(strict_types=1);

sb_require_redis();

final class SbRedisBus implements SbBus
{
    /** Shard count of a topic nobody has used yet (Switchboard's default). */
    private const DEFAULT_SHARDS = 16;
    /** Streams are trimmed to about this many entries (what Switchboard's own publishers use). */
    private const MAX_STREAM_LENGTH = 100000;

    /** @var array<string, int> shard count per topic, read once */
    private array $shards = [];

    private function __construct(private readonly Redis $redis, private readonly string $url)
    {
    }

    public static function connect(string $url): self
    {
        return new self(sb_redis_connect($url), $url);
    }

    public function publishDelivery(string $routeKey, string $delivery): void
    {
        // The reply counts the edge nodes that had interest: 0 is normal (nobody subscribed right now).
        $this->redis->publish("sb:d:$routeKey", $delivery);
    }

    public function publishWork(string $topic, string $key, string $body): void
    {
        $stream = "sb:work:$topic:" . (sb_fnv1a($key) % $this->shardsOf($topic));
        $id = $this->redis->xAdd($stream, '*', ['k' => $key, 'b' => $body], self::MAX_STREAM_LENGTH, true);
        if (!is_string($id) || $id === '') {
            throw new RuntimeException("XADD $stream failed: " . ($this->redis->getLastError() ?? 'no id returned'));
        }
    }

    public function consumeWork(string $topic, string $group, callable $handler, callable $ready, callable $stop): void
    {
        sb_check_group($group);
        $streams = [];
        for ($i = 0; $i < $this->shardsOf($topic); $i++) {
            $stream = "sb:work:$topic:$i";
            // '$': only what arrives from now on ('0' would read what the stream still holds).
            if (!$this->redis->xGroup('CREATE', $stream, $group, '$', true)
                && !str_starts_with((string) $this->redis->getLastError(), 'BUSYGROUP')) {
                throw new RuntimeException("XGROUP CREATE $stream $group: " . $this->redis->getLastError());
            }
            $this->redis->clearLastError();
            $streams[] = $stream;
        }
        // A stable consumer name (one per instance): after a restart, '0' first re-reads what this consumer
        // took but did not ack. Entries of consumers that never come back: XAUTOCLAIM them.
        $consumer = getenv('SWITCHBOARD_CONSUMER') ?: gethostname() . '-' . $group;
        $from = '0';
        $ready('streams sb:work:' . $topic . ':0..' . (count($streams) - 1) . " as consumer $consumer");
        while (!$stop()) {
            $batch = $this->redis->xReadGroup($group, $consumer, array_fill_keys($streams, $from), 16, $from === '0' ? null : 1000);
            if ($batch === false) throw new RuntimeException("XREADGROUP: " . $this->redis->getLastError());
            $pending = 0;
            foreach ($batch as $stream => $entries) {
                foreach ($entries as $id => $fields) {
                    $pending++;
                    sb_handle_safely($handler, (string) ($fields['b'] ?? ''), (string) ($fields['k'] ?? ''));
                    $this->redis->xAck($stream, $group, [$id]);
                }
            }
            if ($from === '0' && $pending === 0) $from = '>'; // own backlog done: now new entries
        }
    }

    /** The topic's shard count is fixed by its first user: keep it if set, else set the default. */
    public function shardsOf(string $topic): int
    {
        if (!isset($this->shards[$topic])) {
            $this->redis->set("sb:meta:$topic:shards", (string) self::DEFAULT_SHARDS, ['nx']);
            $this->shards[$topic] = (int) $this->redis->get("sb:meta:$topic:shards");
            if ($this->shards[$topic] < 1) throw new RuntimeException("sb:meta:$topic:shards is not a shard count");
        }
        return $this->shards[$topic];
    }

    public function redis(): Redis
    {
        return $this->redis;
    }

    public function describe(): string
    {
        return 'Redis ' . sb_redact($this->url);
    }

    public function close(): void
    {
        $this->redis->close();
    }
}

/** redis://[user:pass@]host:port[/db] or rediss:// (TLS). */
function sb_redis_connect(string $url): Redis
{
    $parts = parse_url($url);
    if ($parts === false || !isset($parts['host'])) throw new InvalidArgumentException('bad Redis URL ' . sb_redact($url));
    $host = ($parts['scheme'] === 'rediss' ? 'tls://' : '') . $parts['host'];
    $redis = new Redis();
    // Binary bodies: no serializer, read timeout above the consumer's BLOCK time.
    $redis->connect($host, $parts['port'] ?? 6379, 5.0, null, 0, 10.0);
    if (isset($parts['pass'])) {
        $redis->auth(isset($parts['user']) && $parts['user'] !== ''
            ? [rawurldecode($parts['user']), rawurldecode($parts['pass'])]
            : rawurldecode($parts['pass']));
    }
    $db = trim($parts['path'] ?? '', '/');
    if ($db !== '') $redis->select((int) $db);
    return $redis;
}
