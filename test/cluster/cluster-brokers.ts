/**
 * Brokers (test/failover/harness.ts) on a three-node RabbitMQ cluster (rabbitmq-cluster.ts): topologies get
 * every node's URL as SWITCHBOARD_BUS, and the "outage" of the failover scenario is a cluster fault chosen by
 * the drill — one node SIGKILLed, or every node restarted in turn. The stores' Redis comes from
 * test/support/brokers.ts like everywhere else.
 */
import type { OutageTimes } from '../failover/broker-outage.js';
import type { Brokers } from '../failover/harness.js';
import { startRedis } from '../support/brokers.js';
import { RabbitCluster } from './rabbitmq-cluster.js';

/** A fault on the cluster lasting about `downMs`; times relative to which recovery is measured. */
export type ClusterFault = (cluster: RabbitCluster, downMs: number) => Promise<OutageTimes>;

export async function clusterBrokers(firstPort: number, fault: ClusterFault): Promise<Brokers> {
  const redis = await startRedis();
  let cluster: RabbitCluster;
  try {
    cluster = await RabbitCluster.start(firstPort);
  } catch (error) {
    await redis.stop();
    throw error;
  }
  return {
    kind: 'rabbitmq',
    redis,
    busUrl: async () => cluster.url,
    restartBroker: async () => {
      throw new Error('a cluster drill restarts nodes through its fault, not restartBroker');
    },
    brokerOutage: (downMs) => fault(cluster, downMs),
    stop: async () => {
      try {
        await cluster.destroy();
      } finally {
        await redis.stop();
      }
    },
  };
}

/** The durable work queues (shards, group queues) every leader count is taken over. */
const WORK_QUEUES = 'sb.work.';

/**
 * SIGKILL of the node leading most work queues; it stays dead `downMs`, then is started again and rejoins.
 * Recovery is measured from the kill: the other two nodes keep a majority of every quorum queue, so
 * stopAt = downAt = startAt = backAt = the moment the node was gone.
 */
export const killWorkQueueLeader: ClusterFault = async (cluster, downMs) => {
  const leader = await cluster.leaderOf(WORK_QUEUES);
  const killAt = Date.now();
  await cluster.kill(leader.index);
  const goneAt = Date.now();
  console.log(
    `[cluster rabbitmq] SIGKILL ${leader.name} (leads the work queues): gone after ${goneAt - killAt} ms`,
  );
  await new Promise((resolve) => setTimeout(resolve, downMs));
  const restartAt = Date.now();
  await cluster.start(leader.index);
  await cluster.awaitRunning(3);
  console.log(`[cluster rabbitmq] ${leader.name} back in the cluster after ${Date.now() - restartAt} ms`);
  return { stopAt: killAt, downAt: goneAt, startAt: goneAt, backAt: goneAt };
};

/**
 * Every node stopped cleanly (SIGTERM) and started again, one after the other, each down about
 * `downMs / 3`; the next one goes only once the cluster has three running nodes and every work queue
 * its three members online. Times: the whole roll, from the first stop to the last node back.
 */
export const rollingRestart: ClusterFault = async (cluster, downMs) => {
  const stopAt = Date.now();
  for (const node of cluster.nodes) {
    const began = Date.now();
    await cluster.stop(node.index);
    const stoppedMs = Date.now() - began;
    await new Promise((resolve) => setTimeout(resolve, downMs / 3));
    const startAt = Date.now();
    await cluster.start(node.index);
    await cluster.awaitRunning(3);
    await cluster.awaitQuorumMembers(WORK_QUEUES);
    console.log(
      `[cluster rabbitmq] rolling restart: ${node.name} stopped in ${stoppedMs} ms, back with every work queue in sync after ${Date.now() - startAt} ms`,
    );
  }
  const backAt = Date.now();
  return { stopAt, downAt: stopAt, startAt: backAt, backAt };
};
