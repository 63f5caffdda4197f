import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

export interface PGliteServer {
  /** Host and port the server listens on, e.g. "127.0.0.1:54022". */
  address: string;
  stop(): Promise<void>;
}

/** Before the StartupMessage a client may send requests, whose code takes the place of a protocol version. */
const REQUEST_MAJOR = 1234;
const SSL_REQUEST = 80877103;
const GSS_ENCRYPTION_REQUEST = 80877104;
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 'I';
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

/**
 * What ends anything a vanished client left behind, as Postgres does when a backend loses its client:
 * the ROLLBACK aborts an open transaction or the half-run implicit one of an unfinished extended-query
 * cycle; Sync closes that cycle, also one skipping to Sync after an error, which ignored the ROLLBACK;
 * the second ROLLBACK ends a transaction that error had left failed.
 */
const RESET_SESSION = [simpleQuery('ROLLBACK'), SYNC, simpleQuery('ROLLBACK')];

/**
 * Serves a PGlite database over the Postgres wire protocol to any number of clients.
 *
 * PGlite is one Postgres session, so clients take turns: a connection owns the session from the
 * first message of a query cycle until PGlite answers it with ReadyForQuery, and for as long as that
 * says a transaction is open. Unnamed statements and portals, the skip-to-Sync after an error and
 * transactions therefore always belong to one client. Waiting connections are served in order.
 */
export async function servePGlite(db: PGlite, { host, port }: { host: string; port: number }): Promise<PGliteServer> {
  await db.waitReady;
  const sockets = new Set<Socket>();
  const connections = new Set<Promise<void>>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const done = serveConnection(db, socket).finally(() => {
      sockets.delete(socket);
      connections.delete(done);
    });
    connections.add(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });

  const { port: boundPort } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    address: `${host}:${boundPort}`,
    stop() {
      stopped ??= (async () => {
        const closed = new Promise((resolve) => server.close(resolve));
        for (const socket of sockets) socket.destroy();
        await Promise.all(connections);
        await closed;
      })();
      return stopped;
    },
  };
}

/** Answers one client until it leaves; resolves once the session is handed back in a clean state. */
function serveConnection(db: PGlite, socket: Socket): Promise<void> {
  socket.setNoDelay(true);
  const readMessages = messageReader();
  let release: (() => void) | undefined;
  // Messages run one after another, each after the previous one's replies went out.
  let work = Promise.resolve();

  const send = (reply: Buffer) => {
    if (!socket.destroyed) socket.write(reply);
  };

  async function handle(message: Buffer, typed: boolean): Promise<void> {
    if (socket.destroyed) return;
    if (!typed) {
      const code = message.readInt32BE(4);
      // No encryption on loopback: 'N' tells the client to go on in plain text.
      if (code === SSL_REQUEST || code === GSS_ENCRYPTION_REQUEST) return send(Buffer.from('N'));
      // A CancelRequest would need a second session to interrupt the first, and PGlite has one; Postgres hangs up after it.
      if (isRequest(code)) return void socket.destroy();
    } else if (message[0] === TERMINATE) {
      return void socket.destroy();
    }
    release ??= await takeSession(db);
    if (socket.destroyed) return;
    if ((await execute(db, message, send)) === IDLE) {
      release();
      release = undefined;
    }
  }

  socket.on('data', (chunk) => {
    try {
      for (const { message, typed } of readMessages(chunk)) {
        work = work.then(() => handle(message, typed)).catch(() => void socket.destroy());
      }
    } catch {
      socket.destroy();
    }
  });
  socket.on('error', () => socket.destroy());
  return new Promise((resolve) => {
    socket.on('close', () => {
      work = work.then(async () => {
        if (!release) return;
        try {
          for (const message of RESET_SESSION) await execute(db, message, () => {});
        } finally {
          release();
        }
      });
      // A session PGlite failed to reset is still handed on: the next client then sees the failure rather than a hang.
      work.catch(() => {}).finally(resolve);
    });
  });
}

/**
 * Waits its turn for the PGlite session and holds it until the returned function is called; PGlite's
 * query mutex queues the waiters first come, first served and keeps its own query API out meanwhile.
 */
function takeSession(db: PGlite): Promise<() => void> {
  return new Promise((taken) => {
    void db.runExclusive(() => new Promise<void>((release) => taken(release)));
  });
}

/**
 * Runs one client message through PGlite and streams the replies to `send`. Returns the transaction
 * status of the ReadyForQuery that ended the query cycle, or nothing while the cycle goes on.
 */
async function execute(db: PGlite, message: Buffer, send: (reply: Buffer) => void): Promise<string | undefined> {
  let status: string | undefined;
  // The bytes of a reply message whose type and length (and for ReadyForQuery, status) are not all in yet.
  let head = Buffer.alloc(0);
  let toSkip = 0;
  await db.execProtocolRawStream(message, {
    onRawData(data) {
      const reply = Buffer.from(data); // a copy: `data` is a view into PGlite's memory
      send(reply);
      const skipped = Math.min(toSkip, reply.length);
      toSkip -= skipped;
      let rest = head.length ? Buffer.concat([head, reply.subarray(skipped)]) : reply.subarray(skipped);
      while (rest.length >= 6) {
        if (rest[0] === READY_FOR_QUERY) status = rest.toString('latin1', 5, 6);
        const size = 1 + rest.readInt32BE(1);
        if (size > rest.length) {
          toSkip = size - rest.length;
          rest = Buffer.alloc(0);
        } else {
          rest = rest.subarray(size);
        }
      }
      head = rest;
    },
  });
  return status;
}

/**
 * Cuts the client's byte stream into whole messages, however TCP chunked it. Until the StartupMessage,
 * messages have no type byte: just a length and a code.
 */
function messageReader(): (chunk: Buffer) => Array<{ message: Buffer; typed: boolean }> {
  let buffered: Buffer = Buffer.alloc(0);
  let typed = false;
  return (chunk) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    const messages: Array<{ message: Buffer; typed: boolean }> = [];
    for (;;) {
      const lengthAt = typed ? 1 : 0;
      if (buffered.length < lengthAt + 4) break;
      const length = buffered.readInt32BE(lengthAt);
      if (length < (typed ? 4 : 8)) throw new Error(`malformed message length ${length}`);
      if (buffered.length < lengthAt + length) break;
      const message = buffered.subarray(0, lengthAt + length);
      buffered = buffered.subarray(lengthAt + length);
      messages.push({ message, typed });
      if (!typed && !isRequest(message.readInt32BE(4))) typed = true;
    }
    return messages;
  };
}

function isRequest(code: number): boolean {
  return code >>> 16 === REQUEST_MAJOR;
}

function simpleQuery(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`);
  const message = Buffer.alloc(5 + text.length);
  message.write('Q');
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}
