/**
 * Starting and stopping the peers under test (bench/peers/): for each, its server processes, its
 * publisher (always its own process, except Switchboard on the memory bus, which cannot cross
 * processes) and, for the roundtrip scenario, Switchboard's chat and history services. Every scenario
 * starts a peer the same way, so that the comparison between peers is fair (bench/README.md, "Fairness").
 */

import { builtPeer } from './built-peer.mjs';
import { waitFor } from './processes.mjs';
import { endProgress } from './terminal.mjs';

/** The edge's HS256 secret: clients that sign in (roundtrip senders, `--jwt on`) sign with it. */
export const JWT_SECRET = 'bench-secret-bench-secret-bench-secret';

/** `cfg`, `scenario`: the run's options; `processes`: the run's createProcesses(). */
export function createPeers({ cfg, scenario, processes }) {
  const { spawnProc, stopProc } = processes;

  let kafkaBrokers = cfg.kafka;
  /** `--kafka`, or a KRaft JVM started once for the whole run (test/support/kafka-broker.ts). */
  async function ensureKafka() {
    if (kafkaBrokers) return kafkaBrokers;
    process.stderr.write('starting Kafka (KRaft JVM, up to 90 s)…\n');
    const k = spawnProc('kafka', 'peers/kafka.ts', [], { ts: true });
    const m = await waitFor(k, 'ready', 120_000);
    kafkaBrokers = m.brokers.join(',');
    return kafkaBrokers;
  }

  /** Starts one peer: server processes, publisher, services. Returns targets, pids and the publisher. */
  async function startPeer(peer, { services = false } = {}) {
    const nodes = peer === 'switchboard-memory' ? 1 : cfg.nodes;
    const servers = [];
    let publisher;
    const extra = [];
    const tag = `${scenario}-${peer}`;
    if (peer === 'ws-batched' || peer === 'ws-naive') {
      const mode = peer === 'ws-batched' ? 'batched' : 'naive';
      for (let i = 0; i < nodes; i++)
        servers.push(
          spawnProc(`${tag}-server${i}`, 'peers/ws-server.mjs', ['--mode', mode], { profile: cfg.profile }),
        );
      const ready = await Promise.all(servers.map((s) => waitFor(s, 'ready')));
      for (const [i, s] of servers.entries()) s.port = ready[i].port;
      publisher = spawnProc(`${tag}-publisher`, 'peers/ws-publisher.mjs', [
        '--urls',
        servers.map((s) => `ws://127.0.0.1:${s.port}/pub`).join(','),
      ]);
      await waitFor(publisher, 'ready');
      return { peer, nodes, protocol: 'ws', servers, publisher, extra, path: '/ws' };
    }
    if (peer === 'socketio') {
      for (let i = 0; i < nodes; i++)
        servers.push(
          spawnProc(`${tag}-node${i}`, 'peers/socketio-server.mjs', ['--redis', cfg.redis], {
            profile: cfg.profile,
          }),
        );
      const ready = await Promise.all(servers.map((s) => waitFor(s, 'ready')));
      for (const [i, s] of servers.entries()) s.port = ready[i].port;
      publisher = spawnProc(`${tag}-emitter`, 'peers/socketio-publisher.mjs', ['--redis', cfg.redis]);
      await waitFor(publisher, 'ready');
      return { peer, nodes, protocol: 'socketio', servers, publisher, extra };
    }
    const bus =
      peer === 'switchboard-memory'
        ? 'memory'
        : peer === 'switchboard-amqp'
          ? cfg.amqp
          : peer === 'switchboard-redis'
            ? cfg.redis
            : `kafka://${await ensureKafka()}`;
    const channel = services ? 'chat:bench' : 'bench';
    const common = ['--bus', bus, '--jwt-secret', JWT_SECRET, '--channel', channel];
    if (bus === 'memory') {
      const s = spawnProc(
        `${tag}-edge0`,
        await builtPeer('peers/switchboard-edge.ts'),
        [...common, '--publisher', ...(services ? ['--services'] : [])],
        { profile: cfg.profile },
      );
      s.port = (await waitFor(s, 'ready')).port;
      servers.push(s);
      return {
        peer,
        nodes: 1,
        protocol: 'switchboard',
        servers,
        publisher: s,
        extra,
        channel,
        note: 'memory bus: publisher (and services) in the edge process',
      };
    }
    const edgeFile = await builtPeer('peers/switchboard-edge.ts');
    for (let i = 0; i < nodes; i++)
      servers.push(
        spawnProc(`${tag}-edge${i}`, edgeFile, [...common, '--node-id', `bench-${process.pid}-e${i}`], {
          profile: cfg.profile,
        }),
      );
    const ready = await Promise.all(servers.map((s) => waitFor(s, 'ready', 120_000)));
    for (const [i, s] of servers.entries()) s.port = ready[i].port;
    if (services) {
      const svc = spawnProc(`${tag}-services`, await builtPeer('peers/switchboard-services.ts'), [
        '--bus',
        bus,
      ]);
      await waitFor(svc, 'ready', 120_000);
      extra.push(svc);
    }
    publisher = spawnProc(`${tag}-publisher`, await builtPeer('peers/switchboard-publisher.ts'), [
      '--bus',
      bus,
      '--channel',
      channel,
    ]);
    await waitFor(publisher, 'ready', 120_000);
    return { peer, nodes, protocol: 'switchboard', servers, publisher, extra, channel };
  }

  async function stopPeer(p) {
    if (!p) return;
    await Promise.all([
      ...(p.publisher !== p.servers[0] ? [stopProc(p.publisher)] : []),
      ...p.extra.map(stopProc),
    ]);
    await Promise.all(p.servers.map(stopProc));
  }

  /**
   * Runs `fn(peer, keep)` with the peer started; `keep(clients)` registers the clients to close before
   * the peer stops. A failure becomes the peer's one row (`{peer, error}`): one broken peer does not end
   * the run.
   */
  async function withPeer(peer, fn, options) {
    let p;
    let clients;
    try {
      p = await startPeer(peer, options);
      return await fn(p, (c) => (clients = c));
    } catch (error) {
      endProgress();
      process.stderr.write(`\n${peer}: ${error.message}\n`);
      return [{ peer, error: error.message }];
    } finally {
      await clients?.close();
      await stopPeer(p);
    }
  }

  return { startPeer, stopPeer, withPeer };
}
