<?php
// Loads the three things every example needs, from Debian's packages and from ./gen (made by gen.sh):
//   - the Protobuf runtime (php-google-protobuf: Google\Protobuf\* under /usr/share/php, no autoloader of its own),
//   - php-amqplib (its own autoloader), loaded only by the scripts that use RabbitMQ,
//   - the classes generated from proto/switchboard/v1 (Switchboard\V1\*, GPBMetadata\Switchboard\V1\*).
// With Composer instead: require google/protobuf and php-amqplib/php-amqplib, autoload "gen/" as PSR-4 for
// "Switchboard\\" and "GPBMetadata\\", and replace this file by vendor/autoload.php.
declare(strict_types=1);

const SB_PHP_SHARE = '/usr/share/php';

function sb_fail(string $message): never
{
    fwrite(STDERR, basename($_SERVER['argv'][0] ?? 'php') . ": $message\n");
    exit(1);
}

$sbGenerated = getenv('SWITCHBOARD_PHP_GEN') ?: dirname(__DIR__) . '/gen';
if (!is_file("$sbGenerated/Switchboard/V1/Delivery.php")) {
    sb_fail("no generated classes in $sbGenerated: run examples/php/gen.sh first");
}
if (!is_file(SB_PHP_SHARE . '/Google/Protobuf/Internal/Message.php')) {
    sb_fail('the Protobuf PHP runtime is missing: apt-get install php-google-protobuf');
}

// PSR-4 by hand: namespace prefix => directory.
spl_autoload_register(static function (string $class) use ($sbGenerated): void {
    $roots = [
        'Google\\Protobuf\\' => SB_PHP_SHARE . '/Google/Protobuf/',
        'GPBMetadata\\Google\\' => SB_PHP_SHARE . '/GPBMetadata/Google/',
        'Switchboard\\' => "$sbGenerated/Switchboard/",
        'GPBMetadata\\Switchboard\\' => "$sbGenerated/GPBMetadata/Switchboard/",
    ];
    foreach ($roots as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) require $file;
            return;
        }
    }
});

function sb_require_amqplib(): void
{
    $autoload = SB_PHP_SHARE . '/PhpAmqpLib/autoload.php';
    if (!is_file($autoload)) sb_fail('php-amqplib is missing: apt-get install php-amqplib');
    require_once $autoload;
}

function sb_require_redis(): void
{
    if (!extension_loaded('redis')) sb_fail('the redis extension is missing: apt-get install php-redis');
}
