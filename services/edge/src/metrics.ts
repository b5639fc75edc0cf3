/**
 * Prometheus metrics of one edge node, in its own Registry (several nodes may share a process), with Node's
 * default metrics (event-loop lag, heap, GC): every series, those included, carries the node's `node` label.
 */
import { collectProcessMetrics } from '@switchboard/metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class EdgeMetrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly subscriptions: Gauge;
  readonly framesIn: Counter<'kind'>;
  readonly framesOut: Counter;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly deliverLatency: Histogram;
  readonly drops: Counter<'reason'>;
  readonly rateLimitHits: Counter;
  readonly authFailures: Counter<'reason'>;
  readonly transportReconnects: Counter;
  readonly deadPeers: Counter;
  /** Sockets destroyed for not sending their HTTP request head in time: the silent-socket attack signal. */
  readonly handshakeTimeouts: Counter;
  readonly closes: Counter<'code'>;
  readonly relayed: Counter<'result'>;
  readonly reannounces: Counter<'outcome'>;

  constructor(nodeId: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: nodeId });
    collectProcessMetrics(this.registry);
    const p = 'switchboard_edge_';
    this.connections = new Gauge({ name: `${p}connections`, help: 'Open WebSocket connections', registers });
    this.subscriptions = new Gauge({
      name: `${p}subscriptions`,
      help: 'Channel subscriptions held',
      registers,
    });
    this.framesIn = new Counter({
      name: `${p}frames_in_total`,
      help: 'Client frames received, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.framesOut = new Counter({ name: `${p}frames_out_total`, help: 'Server frames written', registers });
    this.bytesIn = new Counter({
      name: `${p}bytes_in_total`,
      help: 'WebSocket payload bytes received',
      registers,
    });
    this.bytesOut = new Counter({
      name: `${p}bytes_out_total`,
      help: 'WebSocket payload bytes written',
      registers,
    });
    this.deliverLatency = new Histogram({
      name: `${p}deliver_latency_seconds`,
      help: 'Delivery.published_at_ms to write on the socket',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.drops = new Counter({
      name: `${p}dropped_total`,
      help: 'Frames not delivered, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.rateLimitHits = new Counter({
      name: `${p}rate_limit_hits_total`,
      help: 'Frames over the rate limit',
      registers,
    });
    this.authFailures = new Counter({
      name: `${p}auth_failures_total`,
      help: 'Rejected connect or subscription tokens, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.transportReconnects = new Counter({
      name: `${p}transport_reconnects_total`,
      help: 'Bus transport reconnections',
      registers,
    });
    this.deadPeers = new Counter({
      name: `${p}dead_peers_total`,
      help: 'Connections closed for missing pongs',
      registers,
    });
    this.handshakeTimeouts = new Counter({
      name: `${p}handshake_timeouts_total`,
      help: 'TCP connections destroyed before sending their HTTP request head (SWITCHBOARD_HANDSHAKE_TIMEOUT_MS)',
      registers,
    });
    this.closes = new Counter({
      name: `${p}closes_total`,
      help: 'Connections closed, by close code',
      labelNames: ['code'],
      registers,
    });
    this.relayed = new Counter({
      name: `${p}relayed_total`,
      help: 'Client messages relayed to services, by result',
      labelNames: ['result'],
      registers,
    });
    this.reannounces = new Counter({
      name: `${p}lifecycle_reannounces_total`,
      help: 'Re-announce requests of lifecycle consumers: snapshot published, deferred (rate limit), or ignored (not addressed to this node)',
      labelNames: ['outcome'],
      registers,
    });
  }
}
