#!/usr/bin/env node
/**
 * Fetches the Kafka broker's jars into the cache the tests use, and prints the libs directory.
 * CI runs it ahead of the tests: `node test/support/kafka/prefetch.mjs`. Fetches only when missing.
 *
 * Cache: ${XDG_CACHE_HOME:-~/.cache}/switchboard/kafka-4.1.1/libs (a `.complete` marker says the fetch finished).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KAFKA_VERSION = '4.1.1';

export function kafkaHome() {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'switchboard', `kafka-${KAFKA_VERSION}`);
}

export function ensureKafkaLibs() {
  const home = kafkaHome();
  const libs = join(home, 'libs');
  if (existsSync(join(libs, '.complete'))) return libs;
  mkdirSync(home, { recursive: true });
  const partial = join(home, `libs.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  const pom = join(dirname(fileURLToPath(import.meta.url)), 'pom.xml');
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      pom,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${partial}`,
    ],
    { stdio: ['ignore', 2, 2] }, // stdout carries only the libs path
  );
  if (result.error) throw new Error(`cannot run mvn to fetch the Kafka jars: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`mvn failed (exit ${result.status}) fetching the Kafka jars`);
  writeFileSync(join(partial, '.complete'), `kafka ${KAFKA_VERSION}\n`);
  rmSync(libs, { recursive: true, force: true });
  renameSync(partial, libs);
  return libs;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.stdout.write(`${ensureKafkaLibs()}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
