/**
 * A real three-broker Kafka cluster for the cluster drills (issue 16): KRaft 4.1.1, each node a JVM in
 * combined broker+controller mode on its own free loopback ports and temp dir, one cluster id, the same
 * jars as the single test broker (kafka-broker.ts). Verified set-up: /work/shared/notes/kafka-cluster.md.
 * Topics default to 3 copies with min.insync.replicas=2, so losing one node loses no confirmed message.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  brokerProperties,
  fetchLibs,
  freePorts,
  kafkajs,
  kill,
  spawnBroker,
  waitUntilAnswering,
} from './kafka-broker.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 120_000;

export interface KafkaClusterNode {
  readonly id: number;
  readonly broker: string;
  /** True while its JVM runs. */
  readonly running: boolean;
}

export interface KafkaCluster {
  /** Bootstrap list of every node, `host:port`. */
  readonly brokers: string[];
  readonly nodes: readonly KafkaClusterNode[];
  /** SIGKILL of one node's JVM; resolves when it is gone. */
  kill(id: number): Promise<void>;
  /** Starts a killed node again on its ports and data; resolves when the cluster answers. */
  start(id: number): Promise<void>;
  /** The node id leading `partition` of `topic` (-1: none). */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** Each partition of `topic`: its leader, replicas and in-sync replicas (node ids). */
  partitions(
    topic: string,
  ): Promise<{ partition: number; leader: number; replicas: number[]; isr: number[] }[]>;
  /** Stops every node and removes the data. Idempotent. */
  stop(): Promise<void>;
}

interface Node {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  readonly config: string;
  child: ChildProcess | undefined;
}

export async function startKafkaCluster(size = 3): Promise<KafkaCluster> {
  const libs = await fetchLibs();
  const classpath = `${libs}/*`;
  const ports = await freePorts(size * 2);
  const root = mkdtempSync(join(tmpdir(), 'switchboard-kafka-cluster-'));
  const nodes: Node[] = Array.from({ length: size }, (_, i) => {
    const dir = join(root, `n${i + 1}`);
    mkdirSync(dir, { recursive: true });
    return {
      id: i + 1,
      port: ports[2 * i] as number,
      controllerPort: ports[2 * i + 1] as number,
      dir,
      config: join(dir, 'server.properties'),
      child: undefined,
    };
  });
  const voters = nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
  const brokers = nodes.map((n) => `127.0.0.1:${n.port}`);
  const { stdout: uuid } = await run('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid']);
  for (const node of nodes) {
    writeFileSync(
      node.config,
      brokerProperties({
        nodeId: node.id,
        port: node.port,
        controllerPort: node.controllerPort,
        voters,
        dataDir: join(node.dir, 'data'),
        copies: 3,
      }),
    );
    await run('java', [
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      uuid.trim(),
      '-c',
      node.config,
    ]);
  }
  const nodeOf = (id: number): Node => {
    const node = nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no Kafka node ${id} (1…${size})`);
    return node;
  };
  let stopped = false;
  const cluster: KafkaCluster = {
    brokers,
    get nodes() {
      return nodes.map((n) => ({
        id: n.id,
        broker: `127.0.0.1:${n.port}`,
        running: n.child !== undefined && n.child.exitCode === null && n.child.signalCode === null,
      }));
    },
    kill: async (id) => {
      const node = nodeOf(id);
      await kill(node.child, 'SIGKILL');
    },
    start: async (id) => {
      const node = nodeOf(id);
      node.child = spawnBroker(classpath, node.config, node.dir);
      // Back only once every node is registered again: topics then have their replicas to elect from.
      await waitUntilAnswering([`127.0.0.1:${node.port}`], node.child, READY_TIMEOUT_MS, size);
    },
    partitions: async (topic) => {
      const kafka = new kafkajs.Kafka({
        clientId: 'switchboard-test-probe',
        brokers: nodes
          .filter((n) => n.child?.exitCode === null && !n.child.signalCode)
          .map((n) => `127.0.0.1:${n.port}`),
        logLevel: kafkajs.logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return (topics[0]?.partitions ?? []).map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
        }));
      } finally {
        await admin.disconnect();
      }
    },
    leaderOf: async (topic, partition) =>
      (await cluster.partitions(topic)).find((p) => p.partition === partition)?.leader ?? -1,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await Promise.all(nodes.map((n) => kill(n.child, 'SIGTERM')));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    for (const node of nodes) node.child = spawnBroker(classpath, node.config, node.dir);
    // A KRaft quorum needs a majority of controllers before any node answers: start all, then wait.
    // Ready once every node reports all of them registered: a topic created earlier would get fewer copies.
    await Promise.all(
      nodes.map((n) => waitUntilAnswering([`127.0.0.1:${n.port}`], n.child, READY_TIMEOUT_MS, size)),
    );
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
