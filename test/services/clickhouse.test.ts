import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseError, createClient } from '@clickhouse/client-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouse, type LocalClickHouse } from '../../scripts/services/clickhouse.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'kce-clickhouse-'));
let clickhouse: LocalClickHouse;

const clientFor = (database?: string) =>
  createClient({ url: clickhouse.url, username: clickhouse.username, password: clickhouse.password, database });

const TRICKY_NAME = `O'Brien "قال" مرحبا \\ tab\there`;

beforeAll(async () => {
  clickhouse = await startClickHouse({ dataDir });
});

afterAll(async () => {
  await clickhouse?.stop();
  await clickhouse?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('@clickhouse/client-web against embedded ClickHouse', () => {
  it('answers /ping and the client ping', async () => {
    const response = await fetch(`${clickhouse.url}/ping`);
    expect(await response.text()).toBe('Ok.\n');
    expect(await clientFor().ping()).toEqual({ success: true });
  });

  it('creates a database and a MergeTree table, and takes 1,000 JSONEachRow rows', async () => {
    const admin = clientFor();
    await admin.command({ query: 'CREATE DATABASE IF NOT EXISTS kce_us' });
    const client = clientFor('kce_us');
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS playback_events (
        id UInt32, kind LowCardinality(String), learner String, seconds Float64
      ) ENGINE = MergeTree ORDER BY id`,
    });
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: i + 1,
      kind: ['play', 'pause', 'seek'][i % 3],
      learner: i === 41 ? TRICKY_NAME : `learner-${i + 1}`,
      seconds: i / 2,
    }));
    await client.insert({ table: 'playback_events', values: rows, format: 'JSONEachRow' });

    const counted = await client.query({ query: 'SELECT count() AS n, uniqExact(kind) AS kinds FROM playback_events', format: 'JSONEachRow' });
    expect(await counted.json()).toEqual([{ n: 1000, kinds: 3 }]);
  });

  it('binds query parameters on the server, quotes and Arabic included', async () => {
    const result = await clientFor('kce_us').query({
      query: 'SELECT id, learner FROM playback_events WHERE learner = {name:String} OR id = {id:UInt32} ORDER BY id',
      query_params: { name: TRICKY_NAME, id: 7 },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { id: 7, learner: 'learner-7' },
      { id: 42, learner: TRICKY_NAME },
    ]);
    const injected = await clientFor('kce_us').query({
      query: 'SELECT count() AS n FROM playback_events WHERE learner = {name:String}',
      query_params: { name: "x' OR 1=1 --" },
      format: 'JSONEachRow',
    });
    expect(await injected.json()).toEqual([{ n: 0 }]);
  });

  it('returns the JSON format with its metadata', async () => {
    const result = await clientFor().query({ query: 'SELECT kind, count() AS n FROM kce_us.playback_events GROUP BY kind ORDER BY kind', format: 'JSON' });
    expect(result.response_headers['x-clickhouse-format']).toBe('JSON');
    const body = await result.json<{ kind: string; n: number }>();
    expect(body.meta).toEqual([
      { name: 'kind', type: 'LowCardinality(String)' },
      { name: 'n', type: 'UInt64' },
    ]);
    expect(body.data).toEqual([
      { kind: 'pause', n: 333 },
      { kind: 'play', n: 334 },
      { kind: 'seek', n: 333 },
    ]);
  });

  it('runs window functions on a recent ClickHouse', async () => {
    const result = await clientFor('kce_us').query({
      query: `SELECT id, kind, row_number() OVER (PARTITION BY kind ORDER BY id) AS nth,
                     sum(seconds) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS pair
              FROM playback_events WHERE id <= 4 ORDER BY id`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { id: 1, kind: 'play', nth: 1, pair: 0 },
      { id: 2, kind: 'pause', nth: 1, pair: 0.5 },
      { id: 3, kind: 'seek', nth: 1, pair: 1.5 },
      { id: 4, kind: 'play', nth: 2, pair: 2.5 },
    ]);
    const version = await clientFor().query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    const [row] = await version.json<{ v: string }>();
    expect(Number(row?.v.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it("rejects bad SQL with ClickHouse's own error", async () => {
    const failure = await clientFor().query({ query: 'selec 1', format: 'JSONEachRow' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ClickHouseError);
    expect((failure as ClickHouseError).code).toBe('62');
    expect((failure as ClickHouseError).type).toBe('SYNTAX_ERROR');
    expect((failure as Error).message).toMatch(/Syntax error/);
    await expect(clientFor('kce_missing').query({ query: 'SELECT 1' })).rejects.toThrow(/Database kce_missing does not exist/);
  });

  it('refuses wrong credentials', async () => {
    const intruder = createClient({ url: clickhouse.url, username: 'default', password: 'guess' });
    await expect(intruder.query({ query: 'SELECT 1' })).rejects.toThrow(/Authentication failed/);
  });

  it('uses a given server URL once it answers /ping', async () => {
    const server = await startClickHouse({ url: clickhouse.url.replace('//', '//default:@') });
    expect(server).toMatchObject({ url: clickhouse.url, username: 'default', password: '' });
    await server.stop();
    expect(await clientFor().ping()).toEqual({ success: true });
    const closedPort = new URL(clickhouse.url);
    closedPort.port = '1';
    await expect(startClickHouse({ url: closedPort.href })).rejects.toThrow(/does not answer \/ping/);
  });

  it('remembers the query id and log comment each query came with, as system.query_log would', async () => {
    const traceId = crypto.randomUUID().replaceAll('-', '');
    const log_comment = `00-${traceId}-${'4'.repeat(16)}-01`;
    await Promise.all(
      ['first', 'second'].map((name) =>
        clientFor().query({ query: 'SELECT {n:UInt8} AS n', query_params: { n: 1 }, query_id: `${traceId}-${name}`, clickhouse_settings: { log_comment } }),
      ),
    );
    const received = await clickhouse.receivedQueries(traceId);
    expect(received.sort((a, b) => a.queryId.localeCompare(b.queryId))).toEqual([
      { queryId: `${traceId}-first`, logComment: log_comment },
      { queryId: `${traceId}-second`, logComment: log_comment },
    ]);
  });

  it('puts a given server behind a door its outage drills close and open again', async () => {
    const server = await startClickHouse({ url: clickhouse.url, outageDrills: true });
    const through = createClient({ url: server.url, username: server.username, password: server.password });
    try {
      expect(server.url).not.toBe(clickhouse.url);
      expect(await through.ping()).toEqual({ success: true });
      await server.kill();
      expect(await through.ping()).toMatchObject({ success: false });
      await server.restart();
      expect(await through.ping()).toEqual({ success: true });
      await expect(server.receivedQueries('x')).rejects.toThrow(/system.query_log/);
    } finally {
      await through.close();
      await server.stop();
    }
    expect(await clientFor().ping()).toEqual({ success: true });
  });

  it('keeps the data in dataDir across a restart', async () => {
    await clickhouse.stop();
    clickhouse = await startClickHouse({ dataDir });
    const result = await clientFor('kce_us').query({ query: 'SELECT count() AS n FROM playback_events', format: 'JSONEachRow' });
    expect(await result.json()).toEqual([{ n: 1000 }]);
  });
});
