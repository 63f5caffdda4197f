import { once } from 'node:events';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { setTimeout as pause } from 'node:timers/promises';
import { Client, Pool, neonConfig } from '@neondatabase/serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neonSettingsFor, startPostgres } from '../../scripts/services/postgres.ts';
import type { LocalPostgres } from '../../scripts/services/postgres.ts';

/** One embedded database shared by many clients at once, the way concurrent Worker requests use it. */
describe('an embedded database under concurrent clients', () => {
  let postgres: LocalPostgres;
  let url: string;
  let pool: Pool;

  beforeAll(async () => {
    postgres = await startPostgres({ databases: ['catalog'] });
    // Every protocol message in a WebSocket frame and TCP write of its own, so the server gets query
    // cycles in pieces, as it does from busy Workers, and must not let other clients in between them.
    Object.assign(neonConfig, neonSettingsFor(postgres.wsProxy), { coalesceWrites: false });
    url = postgres.urls.catalog!;
    pool = new Pool({ connectionString: url, max: 30 });
    await pool.query('CREATE TABLE enrollments (learner int NOT NULL, course text NOT NULL)');
  });

  afterAll(async () => {
    await pool?.end();
    await postgres?.stop();
  });

  it("answers each of 30 busy connections with its own parameters, never another's", async () => {
    await Promise.all(
      Array.from({ length: 30 }, async (_, worker) => {
        for (let round = 0; round < 15; round++) {
          const n = worker * 1000 + round;
          const [number, text] = await Promise.all([
            pool.query('SELECT $1::int AS n', [n]),
            pool.query('SELECT $1::text AS t, $2::int AS worker', [`learner-${n}`, worker]),
          ]);
          expect(number.rows).toEqual([{ n }]);
          expect(text.rows).toEqual([{ t: `learner-${n}`, worker }]);
        }
      }),
    );
    expect(pool.totalCount).toBe(30);
  });

  it('lets no other client in between the messages of a query cycle', async () => {
    const first = await rawSession(url);
    const second = await rawSession(url);
    // The server is inside first's cycle once it has answered the Parse.
    first.socket.write(Buffer.concat([parse('SELECT 1'), FLUSH]));
    await first.replies.until((bytes) => messageTypes(bytes).includes('1'));
    second.socket.write(Buffer.concat([parse('SELECT 2'), bind(), execute(), SYNC]));
    // first's Execute, written after second's whole cycle, is answered while second still waits.
    first.socket.write(Buffer.concat([bind(), execute(), FLUSH]));
    await first.replies.until((bytes) => messageTypes(bytes).includes('C'));
    expect(second.replies.bytes.length).toBe(0);
    first.socket.write(SYNC);
    for (const { replies } of [first, second]) await replies.until((bytes) => readyStatuses(bytes).length > 0);
    expect(dataRowValues(first.replies.bytes)).toEqual(['1']);
    expect(dataRowValues(second.replies.bytes)).toEqual(['2']);
    first.socket.destroy();
    second.socket.destroy();
  });

  it('keeps concurrent transactions apart: each sees its own rows, and a rolled back one leaves none', async () => {
    const learners = Array.from({ length: 20 }, (_, learner) => learner);
    const seen = await Promise.all(
      learners.map(async (learner) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          for (let course = 0; course <= learner; course++) {
            await client.query('INSERT INTO enrollments (learner, course) VALUES ($1, $2)', [learner, `course-${course}`]);
          }
          const { rows } = await client.query('SELECT count(*)::int AS n FROM enrollments WHERE learner = $1', [learner]);
          await client.query(learner % 2 ? 'ROLLBACK' : 'COMMIT');
          return rows[0].n;
        } finally {
          client.release();
        }
      }),
    );
    expect(seen).toEqual(learners.map((learner) => learner + 1));
    const { rows } = await pool.query('SELECT learner, count(*)::int AS n FROM enrollments GROUP BY learner ORDER BY learner');
    expect(rows).toEqual(learners.filter((learner) => learner % 2 === 0).map((learner) => ({ learner, n: learner + 1 })));
  });

  it('serves 300 connections one after another without running out', async () => {
    for (let i = 0; i < 300; i++) {
      const client = new Client(url);
      await client.connect();
      const { rows } = await client.query('SELECT $1::int AS i', [i]);
      expect(rows).toEqual([{ i }]);
      await client.end();
    }
  });

  // Each state is reached once the server has answered what was sent so far.
  const leftBehind = [
    { state: 'an open transaction', messages: () => [query("BEGIN; INSERT INTO enrollments VALUES (-1, 'abandoned')")], reached: 'Z' },
    {
      state: 'an extended-query cycle without its Sync',
      messages: () => [parse("INSERT INTO enrollments VALUES (-1, 'abandoned')"), bind(), execute(), FLUSH],
      reached: 'C',
    },
    { state: 'a failed transaction skipping to Sync', messages: () => [query('BEGIN'), parse('SELECT no_such_column')], reached: 'E' },
  ];

  it.each(leftBehind)('lets the next client in and keeps nothing when a client vanishes inside $state', async ({ messages, reached }) => {
    const { socket, replies } = await rawSession(url);
    for (const message of messages()) socket.write(message);
    await replies.until((bytes) => messageTypes(bytes).includes(reached));
    socket.destroy();

    const { rows } = await pool.query('SELECT count(*)::int AS n FROM enrollments WHERE learner = -1');
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('reads messages however TCP splits or joins them', async () => {
    const socket = await connect(url);
    const replies = collect(socket);

    // Byte by byte: an SSLRequest, then the StartupMessage.
    for (const byte of Buffer.concat([sslRequest(), startupMessage()])) {
      socket.write(Buffer.from([byte]));
      await pause(1);
    }
    await replies.until((bytes) => readyStatuses(bytes.subarray(1)).length === 1);
    expect(replies.bytes.subarray(0, 1).toString()).toBe('N');

    // Three queries in one write.
    replies.clear();
    socket.write(Buffer.concat([query('SELECT 1'), query('SELECT 2'), query('SELECT 3')]));
    await replies.until((bytes) => readyStatuses(bytes).length === 3);
    expect(dataRowValues(replies.bytes)).toEqual(['1', '2', '3']);
    socket.destroy();
  });
});

describe('stopping an embedded database', () => {
  it('waits neither for a client holding a transaction nor for one queued behind it', async () => {
    const postgres = await startPostgres({ databases: ['catalog'] });
    const holder = await rawSession(postgres.urls.catalog!);
    holder.socket.write(query('BEGIN'));
    await holder.replies.until((bytes) => readyStatuses(bytes).length > 0);
    expect(readyStatuses(holder.replies.bytes)).toEqual(['T']);
    const queued = await connect(postgres.urls.catalog!);
    queued.write(startupMessage());

    // Not once(): it rejects on the 'error' a reset connection emits before its 'close'.
    const hungUp = Promise.all([holder.socket, queued].map((socket) => new Promise((resolve) => socket.once('close', resolve))));
    await postgres.stop();
    await hungUp;
  });
});

/**
 * A bare TCP connection past the startup handshake, for what the drivers won't do, like vanishing
 * mid-transaction; `replies` collects what the server sends from then on.
 */
async function rawSession(url: string): Promise<{ socket: Socket; replies: Replies }> {
  const socket = await connect(url);
  const replies = collect(socket);
  socket.write(startupMessage());
  await replies.until((bytes) => readyStatuses(bytes).length > 0);
  replies.clear();
  return { socket, replies };
}

async function connect(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = createConnection({ host: hostname, port: Number(port) });
  await once(socket, 'connect');
  // The server resetting a connection is what some tests wait for; they watch for 'close'.
  socket.on('error', () => {});
  return socket;
}

interface Replies {
  bytes: Buffer;
  clear(): void;
  until(done: (bytes: Buffer) => boolean): Promise<void>;
}

function collect(socket: Socket): Replies {
  const replies: Replies = {
    bytes: Buffer.alloc(0),
    clear() {
      replies.bytes = Buffer.alloc(0);
    },
    async until(done: (bytes: Buffer) => boolean) {
      while (!done(replies.bytes)) await once(socket, 'data');
    },
  };
  socket.on('data', (chunk: Buffer) => {
    replies.bytes = Buffer.concat([replies.bytes, chunk]);
  });
  return replies;
}

/** Backend messages as [type, body] pairs. */
function backendMessages(bytes: Buffer): Array<[string, Buffer]> {
  const messages: Array<[string, Buffer]> = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const end = at + 1 + bytes.readInt32BE(at + 1);
    if (end > bytes.length) break;
    messages.push([String.fromCharCode(bytes[at]!), bytes.subarray(at + 5, end)]);
    at = end;
  }
  return messages;
}

function messageTypes(bytes: Buffer): string[] {
  return backendMessages(bytes).map(([type]) => type);
}

function readyStatuses(bytes: Buffer): string[] {
  return backendMessages(bytes)
    .filter(([type]) => type === 'Z')
    .map(([, body]) => String.fromCharCode(body[0]!));
}

/** The first column of every DataRow, as text. */
function dataRowValues(bytes: Buffer): string[] {
  return backendMessages(bytes)
    .filter(([type]) => type === 'D')
    .map(([, body]) => body.subarray(6, 6 + body.readInt32BE(2)).toString());
}

function frontendMessage(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(5);
  header.write(type);
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

const cstring = (text: string) => Buffer.from(`${text}\0`);
const int16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const int32 = (n: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(n);
  return buffer;
};

const query = (sql: string) => frontendMessage('Q', cstring(sql));
const parse = (sql: string) => frontendMessage('P', cstring(''), cstring(sql), int16(0));
const bind = () => frontendMessage('B', cstring(''), cstring(''), int16(0), int16(0), int16(0));
const execute = () => frontendMessage('E', cstring(''), int32(0));
const SYNC = frontendMessage('S');
const FLUSH = frontendMessage('H');

function sslRequest(): Buffer {
  return Buffer.concat([int32(8), int32(80877103)]);
}

function startupMessage(): Buffer {
  const body = Buffer.concat([int32(196608), cstring('user'), cstring('postgres'), cstring('database'), cstring('postgres'), cstring('')]);
  return Buffer.concat([int32(4 + body.length), body]);
}
