<?php
declare(strict_types=1);

/**
 * `--name value`, `--name=value` and `--flag` anywhere on the command line; the rest is positional.
 * @param list<string> $valued options that take a value
 * @param list<string> $flags options without one
 * @return array{0: array<string, string|true>, 1: list<string>}
 */
function sb_parse_args(array $argv, array $valued, array $flags): array
{
    $options = [];
    $positional = [];
    for ($i = 1; $i < count($argv); $i++) {
        $arg = $argv[$i];
        if ($arg === '--') {
            array_push($positional, ...array_slice($argv, $i + 1));
            break;
        }
        if (!str_starts_with($arg, '--')) {
            $positional[] = $arg;
            continue;
        }
        [$name, $value] = array_pad(explode('=', substr($arg, 2), 2), 2, null);
        if (in_array($name, $flags, true) && $value === null) {
            $options[$name] = true;
        } elseif (in_array($name, $valued, true)) {
            $value ??= $argv[++$i] ?? sb_fail("--$name needs a value");
            $options[$name] = $value;
        } else {
            sb_fail("unknown option --$name");
        }
    }
    return [$options, $positional];
}

/** The bus URL: --bus, else SWITCHBOARD_BUS (the variable Switchboard's own processes read). */
function sb_bus_url(array $options): string
{
    $url = $options['bus'] ?? getenv('SWITCHBOARD_BUS') ?: '';
    if ($url === '' || $url === 'memory') {
        sb_fail('no broker: pass --bus amqp://user:pass@host:5672/vhost or --bus redis://host:6379, or set SWITCHBOARD_BUS');
    }
    return $url;
}
