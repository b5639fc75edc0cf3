import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type BusLogger, kafkaLogCreator } from './kafka-log.js';

function recordingLogger() {
  const lines: [level: string, message: string | undefined][] = [];
  const at =
    (level: string) =>
    (_obj: object, message?: string): void => {
      lines.push([level, message]);
    };
  const logger: BusLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

describe('kafkaLogCreator', () => {
  it('keeps WARN and ERROR, sends INFO to debug, and quiets the warning about our bounded retries', () => {
    const { lines, logger } = recordingLogger();
    const log = kafkaLogCreator(logger)();
    const entry = (level: logLevel, message: string) => ({
      namespace: 'Producer',
      level,
      label: '',
      log: { timestamp: '', logger: 'kafkajs', message },
    });
    log(entry(logLevel.ERROR, 'broken'));
    log(entry(logLevel.WARN, 'slow'));
    log(entry(logLevel.INFO, 'joined'));
    log(entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees'));
    expect(lines).toEqual([
      ['error', 'broken'],
      ['warn', 'slow'],
      ['debug', 'joined'],
      ['debug', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'],
    ]);
  });
});
