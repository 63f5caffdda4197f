import { createServer, type Server } from 'node:http';
import { createConnection } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface NeonProxy {
  /** Host and port for `neonConfig.wsProxy`, e.g. "127.0.0.1:54021". */
  wsProxy: string;
  stop(): Promise<void>;
  /** Outage drill: closes the listener and drops every relayed connection, so clients are refused. */
  kill(): Promise<void>;
  /** Listens again on the same port (killing first if still listening). */
  restart(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
/** The frontend's Terminate message: 'X' and a length of 4. */
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

/**
 * Reads `host:port` from a `/v1?address=` request, or nothing when the target is not on this machine:
 * the proxy is a dev tool and must not become an open relay into whatever network it runs in.
 */
function loopbackTarget(requestUrl: string | undefined): { host: string; port: number } | undefined {
  const url = new URL(requestUrl ?? '', 'ws://proxy');
  const address = url.searchParams.get('address');
  if (url.pathname !== '/v1' || !address) return undefined;
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  if (!LOOPBACK_HOSTS.has(host) || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * The WebSocket-to-TCP relay Neon runs in front of its databases, for local Postgres servers: the
 * `@neondatabase/serverless` driver tunnels the Postgres wire protocol through it in binary frames.
 */
export async function startNeonProxy(): Promise<NeonProxy> {
  let server: Listening | undefined = await listen(0);
  const { port } = server.http.address() as AddressInfo;
  const kill = async () => {
    const closing = server;
    server = undefined;
    if (!closing) return;
    // Each relayed session's database connection goes with its WebSocket (see listen).
    for (const ws of closing.wss.clients) ws.terminate();
    closing.wss.close();
    // Handshakes still in flight too: an HTTP server's close waits for every open connection.
    const closed = new Promise((resolve) => closing.http.close(resolve));
    closing.http.closeAllConnections();
    await closed;
  };
  let stopped: Promise<void> | undefined;
  return {
    wsProxy: `127.0.0.1:${port}`,
    stop() {
      stopped ??= kill();
      return stopped;
    },
    kill,
    async restart() {
      await kill();
      server = await listen(port);
    },
  };
}

interface Listening {
  http: Server;
  wss: WebSocketServer;
}

async function listen(port: number): Promise<Listening> {
  const http = createServer();
  const server = new WebSocketServer({
    server: http,
    // Browsers always send Origin and the driver (in workerd or Node) never does: refusing pages keeps
    // a website open in the developer's browser from reaching local databases through this proxy.
    verifyClient: ({ origin, req }, decide) => {
      if (origin) decide(false, 403, 'browser pages may not use this proxy');
      else if (loopbackTarget(req.url)) decide(true);
      else decide(false, 403, 'only /v1?address=<loopback host>:<port> is relayed');
    },
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', resolve);
  });

  server.on('connection', (ws, req) => {
    const target = loopbackTarget(req.url);
    if (!target) return ws.close(1008, 'address not allowed');
    const tcp = createConnection(target);
    tcp.on('data', (chunk) => ws.send(chunk));
    tcp.on('close', () => ws.close());
    tcp.on('error', () => ws.terminate());
    // ws hands over a Buffer per message while binaryType stays at its default, 'nodebuffer'.
    ws.on('message', (data) => {
      const frame = data as Buffer;
      tcp.write(frame);
      // A Terminate message ends the session: release the database connection now, as a Postgres
      // server would, rather than when the client's WebSocket close completes (up to 30 s in workerd).
      if (frame.length >= TERMINATE.length && frame.subarray(-TERMINATE.length).equals(TERMINATE)) {
        tcp.end();
        ws.close(1000, 'session terminated');
      }
    });
    ws.on('close', () => tcp.destroy());
    ws.on('error', () => tcp.destroy());
  });
  return { http, wss: server };
}
