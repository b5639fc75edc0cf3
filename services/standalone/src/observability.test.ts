/**
 * Issue 15: deploy/ stays in step with the code. Every metric the Grafana dashboard and the Prometheus alert
 * rules query is exported by a running process (the all-in-one on the memory bus: edge, history, chat,
 * notifications, the API and Node's default metrics, after a little real traffic); Prometheus scrapes every
 * process of docker-compose.yml on the port it listens on; Grafana is provisioned with the dashboard.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemoryBroker, MemoryTransport } from '@switchboard/bus/memory';
import { Client } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { waitFor } from '../../../test/support/wait.js';
import { readAllInOneConfig } from './config.js';
import { type Standalone, startStandalone } from './standalone.js';
import { declaredFamilies, metricNamesIn, missing, sampledNames } from './testing/promql.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

interface Panel {
  type: string;
  title: string;
  id: number;
  gridPos: { x: number; w: number };
  targets?: { expr: string }[];
}
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(read('deploy/grafana/switchboard-dashboard.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query: string | { query: string } }[] };
};
const rules = (parse(read('deploy/prometheus/alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (group) => group.rules,
);

/** Every PromQL expression of the dashboard (panels and `label_values(metric, label)` variables). */
function dashboardQueries(): { where: string; expr: string }[] {
  const queries = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  );
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
    const metric = /^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,/.exec(query)?.[1];
    if (metric) queries.push({ where: `variable $${variable.name}`, expr: metric });
  }
  return queries;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('the dashboard and the alert rules query only metrics a process exports', () => {
  let app: Standalone;
  let transport: MemoryTransport;
  let exposition = '';

  beforeAll(async () => {
    transport = new MemoryTransport({ broker: new MemoryBroker() });
    const config = readAllInOneConfig({ SWITCHBOARD_PORT: '0', API_HTTP_PORT: '0', CHAT_ROOMS: 'lobby' });
    app = await startStandalone(config, { transport });
    const scrape = async () => (await fetch(`${app.url}/metrics`)).text();

    // Traffic, so that the labelled series exist: a chat round trip delivered to a subscriber, an API
    // publish, a rejected token and a closed connection.
    const alice = new Client(app.wsUrl, { getToken: () => app.issueToken('alice') });
    alice.connect();
    const room = alice.subscribe('chat:lobby');
    const delivered = new Promise<void>((resolve) => room.on('publication', () => resolve()));
    await new Promise<void>((resolve) => room.on('subscribed', () => resolve()));
    await alice.request('chat', 'chat.join', json({ room: 'lobby' }), { key: 'lobby', timeoutMs: 10_000 });
    await alice.request('chat', 'chat.send', json({ room: 'lobby', text: 'hi' }), {
      key: 'lobby',
      timeoutMs: 10_000,
    });
    await delivered;
    const published = await fetch(`${app.apiUrl}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'news', type: 'article', data: { x: 1 } }),
    });
    expect(published.status).toBe(202);
    const mallory = new Client(app.wsUrl, { getToken: async () => 'not-a-token' });
    mallory.connect();
    await waitFor('the rejected token', async () =>
      /^switchboard_edge_auth_failures_total\{/m.test(await scrape()),
    );
    mallory.disconnect();
    alice.disconnect();
    await waitFor('the close', async () => /^switchboard_edge_closes_total\{/m.test(await scrape()));

    // The all-in-one's /metrics carries the edge's, the services' and the API's series.
    exposition = await scrape();
  });

  afterAll(async () => {
    await app?.stop();
    await transport?.close();
  });

  it('every dashboard query names exported metrics', () => {
    const families = declaredFamilies(exposition);
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(30);
    const problems = queries.flatMap(({ where, expr }) => {
      const names = metricNamesIn(expr);
      if (names.length === 0) return [`${where}: no metric in ${expr}`];
      return names.flatMap((name) => {
        const why = missing(name, families);
        return why ? [`${where}: ${why}`] : [];
      });
    });
    expect(problems).toEqual([]);
  });

  it('every alert rule names exported metrics', () => {
    const families = declaredFamilies(exposition);
    const problems = rules.flatMap((rule) =>
      metricNamesIn(rule.expr).flatMap((name) => {
        const why = missing(name, families);
        return why ? [`alert ${rule.alert}: ${why}`] : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('the traffic produced the labelled series the panels split by', () => {
    const sampled = sampledNames(exposition);
    for (const name of [
      'switchboard_edge_frames_in_total',
      'switchboard_edge_closes_total',
      'switchboard_edge_auth_failures_total',
      'switchboard_edge_relayed_total',
      'switchboard_edge_deliver_latency_seconds_bucket',
      'switchboard_service_messages_total',
      'switchboard_service_handler_duration_seconds_bucket',
      'switchboard_api_requests_total',
      'switchboard_history_channels',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(sampled.has(name), name).toBe(true);
  });
});

describe('the alert rules', () => {
  it('cover what the operator must hear about, each with a severity and a summary', () => {
    const byName = new Map(rules.map((rule) => [rule.alert, rule]));
    expect(byName.size).toBe(rules.length);
    for (const rule of rules) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
    const lag = byName.get('SwitchboardEdgeEventLoopLagHigh');
    expect(lag?.expr).toMatch(/nodejs_eventloop_lag_p99_seconds\{job="switchboard-edge"\}\) > 0\.1$/);
    expect(lag?.for).toBe('5m');
    expect(byName.get('SwitchboardTargetDown')?.expr).toMatch(/^up\{.*\} == 0$/);
    const queried = new Set(rules.flatMap((rule) => metricNamesIn(rule.expr)));
    for (const name of [
      'switchboard_edge_deliver_latency_seconds_bucket',
      'switchboard_edge_dropped_total',
      'switchboard_edge_transport_reconnects_total',
      'switchboard_service_messages_total',
      'switchboard_history_evictions_total',
      'switchboard_edge_auth_failures_total',
    ])
      expect(queried.has(name), name).toBe(true);
  });
});

describe('Prometheus and Grafana of the observability profile', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      {
        command?: string[];
        profiles?: string[];
        environment?: Record<string, string>;
        volumes?: string[];
        deploy?: unknown;
      }
    >;
  };
  const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
  };

  it('scrape every Switchboard process of docker-compose.yml on the port it listens on', () => {
    const scraped = new Map<string, number>();
    for (const job of prometheus.scrape_configs)
      for (const sd of job.dns_sd_configs ?? []) for (const name of sd.names) scraped.set(name, sd.port);
    // The image's command is the tier (`switchboard <tier>`, deploy/Dockerfile).
    const tiers = ['edge', 'chat', 'history', 'presence', 'notifications', 'api', 'web'];
    const processes = Object.entries(compose.services).filter(([, s]) =>
      tiers.includes(s.command?.[0] ?? ''),
    );
    expect(processes.length).toBe(8);
    for (const [name, service] of processes) {
      const env = service.environment ?? {};
      const port = Object.entries(env).find(([key]) => /_HTTP_PORT$|^SWITCHBOARD_EDGE_PORT$/.test(key))?.[1];
      expect(port, `${name} has no HTTP port variable`).toBeDefined();
      expect(scraped.get(name), `prometheus.yml does not scrape ${name}:${port}`).toBe(Number(port));
    }
  });

  it('load the alert rules and provision the dashboard, in the observability profile only', () => {
    const { prometheus: prom, grafana } = compose.services;
    expect(prom?.profiles).toEqual(['observability']);
    expect(grafana?.profiles).toEqual(['observability']);
    const mountedRules = prom?.volumes?.find((v) => v.startsWith('./deploy/prometheus/alerts.yml:'));
    expect(mountedRules?.split(':')[1]).toBe(prometheus.rule_files[0]);
    const dashboards = parse(read('deploy/grafana/provisioning/dashboards/switchboard.yml')) as {
      providers: { options: { path: string } }[];
    };
    const mountedDashboard = grafana?.volumes?.find((v) =>
      v.startsWith('./deploy/grafana/switchboard-dashboard.json:'),
    );
    expect(mountedDashboard?.split(':')[1]?.startsWith(`${dashboards.providers[0]?.options.path}/`)).toBe(
      true,
    );
    const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string }[];
    };
    const datasource = dashboard.templating.list.find((v) => v.name === 'datasource') as unknown as {
      current: { value: string };
    };
    expect(datasource.current.value).toBe(datasources.datasources[0]?.uid);
    expect(datasources.datasources[0]?.url).toBe('http://prometheus:9090');
  });

  it('the dashboard has unique panel ids, a query per panel and fits the 24-column grid', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type !== 'row') expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });
});
