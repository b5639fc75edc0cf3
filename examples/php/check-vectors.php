<?php
// Checks the PHP Protobuf classes against Switchboard's golden frames (proto/testdata/frames.json, format in
// proto/testdata/README.md): for every vector,
//   1. binary -> message -> JSON equals `json` (as JSON values: key order does not matter);
//   2. `json` -> message -> binary equals `binary`;
//   3. each of `jsonInputs` (64-bit numbers as JSON numbers, snake_case names, URL-safe/unpadded base64,
//      defaults written out, null) -> binary equals `binary`;
//   4. binary -> message -> binary equals `binary`.
// So a PHP backend can trust serializeToString / mergeFromString and serializeToJsonString /
// mergeFromJsonString for frames it reads or writes on the `switchboard.v1.json` subprotocol.
//
//   php check-vectors.php [path/to/frames.json]
// Prints one line per vector, exits 1 when any check fails.
declare(strict_types=1);
require __DIR__ . '/lib/bootstrap.php';
// protobuf-php's JSON parser range-checks every integer with bcmath, whatever the platform; Debian's
// php-google-protobuf does not pull it in. Without it every mergeFromJsonString dies on bccomp().
if (!extension_loaded('bcmath')) sb_fail('mergeFromJsonString needs bcmath: apt-get install php-bcmath');

use Google\Protobuf\Internal\Message;

$path = $argv[1] ?? __DIR__ . '/../../proto/testdata/frames.json';
// Objects stay objects (stdClass), so an empty message such as {"pong":{}} is written back as {} and not [].
$file = json_decode((string) @file_get_contents($path), false);
if (!is_object($file)) sb_fail("cannot read $path as JSON");
if (($file->format ?? null) !== 'switchboard-frame-vectors/1') {
    sb_fail("$path: format " . json_encode($file->format ?? null) . ' is not switchboard-frame-vectors/1');
}

/** `switchboard.v1.ServerFrame` -> a new \Switchboard\V1\ServerFrame. */
function message_of(string $type): Message
{
    if (!preg_match('/^switchboard\.v1\.([A-Za-z]+)$/', $type, $m)) sb_fail("unknown message type $type");
    $class = 'Switchboard\\V1\\' . $m[1];
    if (!class_exists($class)) sb_fail("no generated class $class for $type (run gen.sh again?)");
    return new $class();
}

/** A JSON text decoded with object keys sorted, so two values compare equal whatever their key order. */
function canonical(string $json): string
{
    $sort = static function (mixed $value) use (&$sort): mixed {
        if (is_array($value)) return array_map($sort, $value);
        if (!is_object($value)) return $value;
        $fields = array_map($sort, get_object_vars($value));
        ksort($fields);
        return (object) $fields;
    };
    return json_encode($sort(json_decode($json, false)));
}

/**
 * The same JSON value with base64 of the `bytes` fields of client.proto (every one is named `payload` or
 * `info`) moved from the URL-safe alphabet (-_) to the standard one (+/). protobuf-php's JSON parser decodes
 * bytes with base64_decode($v, true), which knows only the standard alphabet (padding is optional), while
 * proto3 JSON lets writers use either. Switchboard's edge prints the standard alphabet, so a PHP backend
 * reading the edge's JSON never needs this; one reading JSON from other writers (Go's protojson accepts
 * both, some writers print URL-safe) should translate first, like this.
 */
function standard_base64(mixed $value): mixed
{
    if (is_array($value)) return array_map('standard_base64', $value);
    if (!is_object($value)) return $value;
    $out = new stdClass();
    foreach (get_object_vars($value) as $key => $field) {
        $out->$key = in_array($key, ['payload', 'info'], true) && is_string($field)
            ? strtr($field, '-_', '+/')
            : standard_base64($field);
    }
    return $out;
}

function json_text(mixed $value): string
{
    return json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
}

function json_to_binary(string $type, string $json): string
{
    $message = message_of($type);
    $message->mergeFromJsonString($json);
    return bin2hex($message->serializeToString());
}

$failures = 0;
$checks = 0;
$notes = [];
foreach ($file->vectors as $vector) {
    $name = $vector->name;
    $binary = hex2bin($vector->binary);
    $problems = [];
    try {
        // 1. binary -> JSON
        $decoded = message_of($vector->type);
        $decoded->mergeFromString($binary);
        $printed = $decoded->serializeToJsonString();
        $expected = json_text($vector->json);
        if (canonical($printed) !== canonical($expected)) {
            $problems[] = "binary -> JSON gave $printed, expected $expected";
        }
        // 4. binary -> binary
        $again = bin2hex($decoded->serializeToString());
        if ($again !== $vector->binary) $problems[] = "binary -> binary gave $again";
        // 2. and 3. JSON (canonical and every accepted variant) -> binary
        $inputs = array_merge([$vector->json], $vector->jsonInputs);
        foreach ($inputs as $input) {
            $text = json_text($input);
            try {
                $encoded = json_to_binary($vector->type, $text);
            } catch (\Throwable $e) {
                $translated = json_text(standard_base64($input));
                if ($translated === $text || !str_contains($e->getMessage(), 'Invalid base64')) {
                    $problems[] = "JSON $text was refused: " . $e->getMessage();
                    continue;
                }
                // Only the URL-safe alphabet may be the reason; with the standard one it must pass.
                $notes[] = "$name: $text accepted only after translating its URL-safe base64 to $translated";
                try {
                    $encoded = json_to_binary($vector->type, $translated);
                } catch (\Throwable $again) {
                    $problems[] = "JSON $translated was refused: " . $again->getMessage();
                    continue;
                }
            }
            if ($encoded !== $vector->binary) $problems[] = "JSON $text -> binary gave $encoded";
        }
        $checks += 2 + count($inputs);
    } catch (\Throwable $e) {
        $problems[] = get_class($e) . ': ' . $e->getMessage();
    }
    if ($problems === []) {
        echo "ok   $name\n";
    } else {
        $failures++;
        echo "FAIL $name\n";
        foreach ($problems as $problem) echo "     $problem\n";
    }
}

// invalidJson: texts an edge must refuse in frames a client sends. protobuf-php is not that strict (it
// accepts some of them), so a PHP backend must not use mergeFromJsonString to validate untrusted frames.
// Reported, not failed: checking untrusted client frames is the edge's job, not a backend's.
foreach ($file->invalidJson ?? [] as $invalid) {
    try {
        $bytes = json_to_binary($invalid->type, $invalid->text);
        $notes[] = "invalid text \"$invalid->name\" is accepted by protobuf-php (as $bytes)";
    } catch (\Throwable) {
        // refused, as it should be
    }
}

// The bus contract's own vectors (docs/bus-contract.md, "Routes and keys" and "RabbitMQ"): the work-key
// hash that picks RabbitMQ buckets and Redis shards, and the hashed form of a too-long AMQP routing key.
require_once __DIR__ . '/lib/messages.php';
$hashes = ['room-1' => 3196374668, 'alice' => 2267157479, 'order-42' => 1461995252, 'chat:lobby' => 894957657,
    "caf\u{e9}" => 856211068, '' => 2166136261];
foreach ($hashes as $key => $expected) {
    $got = sb_fnv1a((string) $key);
    if ($got !== $expected) {
        $failures++;
        echo 'FAIL fnv1a(' . json_encode($key) . ") = $got, expected $expected\n";
    }
}
$longRoute = 'c:' . str_repeat('a', 254);
$hashed = sb_amqp_routing_key($longRoute);
if (strlen($longRoute) <= 255 || $hashed !== 'h:f81b6f6b007018f3a0885bb9bd8abb69ab93746ada0bc993126e0129baceaa98') {
    $failures++;
    echo "FAIL AMQP routing key of a 256-byte route key: $hashed\n";
}
echo $failures === 0 ? 'ok   bus contract: ' . count($hashes) . " FNV-1a keys and the hashed AMQP routing key\n" : '';

$count = count($file->vectors);
foreach ($notes as $note) echo "note $note\n";
if ($failures > 0) {
    echo "golden vectors: $failures checks failed\n";
    exit(1);
}
echo "golden vectors: all $count vectors passed ($checks checks)\n";
