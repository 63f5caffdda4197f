import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * The Upstash REST protocol in front of a plain redis-server, so the Workers use `@upstash/redis`
 * (and `@upstash/ratelimit`) unchanged: POST / with one command as a JSON array, POST /pipeline
 * and POST /multi-exec with an array of commands, `Authorization: Bearer <token>`, and with
 * `Upstash-Encoding: base64` every string in a result base64-encoded.
 */

/** A RESP2 reply. Bulk strings stay bytes so binary values survive until the response is encoded. */
export type Reply = Buffer | string | number | null | RedisError | Reply[];

/** An error reply (`-ERR ...`, `-WRONGTYPE ...`): a normal answer from Redis, not a failed connection. */
export class RedisError extends Error {}

function encodeCommand(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/** Parses the reply starting at `offset`; undefined while the buffer does not hold all of it yet. */
function parseReply(buffer: Buffer, offset: number): { reply: Reply; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (String.fromCharCode(buffer[offset] ?? 0)) {
    case '+':
      return { reply: line, end: next };
    case '-':
      return { reply: new RedisError(line), end: next };
    case ':':
      return { reply: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length === -1) return { reply: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { reply: buffer.subarray(next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count === -1) return { reply: null, end: next };
      const items: Reply[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, end);
        if (!item) return undefined;
        items.push(item.reply);
        end = item.end;
      }
      return { reply: items, end };
    }
    default:
      throw new Error(`redis sent a reply this client cannot read: ${JSON.stringify(buffer.toString('utf8', offset, lineEnd))}`);
  }
}

/** One TCP connection to redis-server; commands sent together are pipelined and answered in order. */
export class RedisConnection {
  #socket: Socket;
  #unread: Buffer = Buffer.alloc(0);
  #waiting: Array<{ resolve: (reply: Reply) => void; reject: (error: Error) => void }> = [];
  #lost: Error | undefined;

  static open(port: number): Promise<RedisConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RedisConnection(socket, port));
      });
    });
  }

  constructor(socket: Socket, port: number) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error(`redis at 127.0.0.1:${port} closed the connection`)));
  }

  get usable(): boolean {
    return this.#lost === undefined;
  }

  send(commands: readonly (readonly string[])[]): Promise<Reply[]> {
    if (this.#lost) return Promise.reject(this.#lost);
    const replies = commands.map(
      () => new Promise<Reply>((resolve, reject) => this.#waiting.push({ resolve, reject })),
    );
    this.#socket.write(commands.map(encodeCommand).join(''));
    return Promise.all(replies);
  }

  close(): void {
    this.#socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.#unread = this.#unread.length === 0 ? chunk : Buffer.concat([this.#unread, chunk]);
    try {
      for (let parsed = parseReply(this.#unread, 0); parsed; parsed = parseReply(this.#unread, 0)) {
        this.#unread = this.#unread.subarray(parsed.end);
        this.#waiting.shift()?.resolve(parsed.reply);
      }
    } catch (error) {
      this.#socket.destroy(error as Error);
    }
  }

  #fail(error: Error): void {
    this.#lost ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#lost);
  }
}

/** A request the adapter refuses before anything reaches Redis. */
class RejectedRequest extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

// These change the state of the connection they run on, and connections are shared between requests.
const CONNECTION_STATE_COMMANDS = new Set([
  'multi', 'exec', 'discard', 'watch', 'unwatch', 'select', 'hello', 'reset', 'quit', 'auth', 'monitor',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
]);

function toCommand(value: unknown): string[] {
  const isArgument = (arg: unknown) => ['string', 'number', 'boolean'].includes(typeof arg);
  if (!Array.isArray(value) || value.length === 0 || !value.every(isArgument)) {
    throw new RejectedRequest(400, 'ERR a command must be a non-empty JSON array of strings and numbers');
  }
  const name = String(value[0]).toLowerCase();
  if (CONNECTION_STATE_COMMANDS.has(name)) {
    throw new RejectedRequest(400, `ERR ${name.toUpperCase()} is not supported over the REST API`);
  }
  return value.map(String);
}

function toCommands(value: unknown): string[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new RejectedRequest(400, 'ERR the body must be a non-empty JSON array of commands');
  }
  return value.map(toCommand);
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/**
 * Upstash accepts the `allow-key-locking` shebang flag that @upstash/ratelimit puts on its Lua
 * scripts; Redis refuses flags it does not know. The flag only matters to Upstash's scheduler.
 */
function withoutUpstashFlags(script: string): string {
  return script.replace(/^(#!lua[^\n]*?)\s*flags=(\S*)/, (_match, head: string, flags: string) => {
    const kept = flags.split(',').filter((flag) => flag !== 'allow-key-locking');
    return kept.length > 0 ? `${head} flags=${kept.join(',')}` : head;
  });
}

export interface UpstashRest {
  url: string;
  close(): Promise<void>;
}

export async function startUpstashRest(options: { redisPort: number; token: string }): Promise<UpstashRest> {
  const { redisPort, token } = options;
  const idle: RedisConnection[] = [];
  // Clients call EVALSHA with the SHA of the script they hold; Redis knows the rewritten one.
  const redisShaOf = new Map<string, string>();

  function forRedis(command: string[]): string[] {
    const name = command[0]?.toLowerCase();
    const isScriptLoad = name === 'script' && command[1]?.toLowerCase() === 'load';
    const scriptAt = name === 'eval' || name === 'eval_ro' ? 1 : isScriptLoad ? 2 : -1;
    const script = command[scriptAt];
    if (script !== undefined) {
      const runnable = withoutUpstashFlags(script);
      if (runnable === script) return command;
      redisShaOf.set(sha1(script), sha1(runnable));
      return command.with(scriptAt, runnable);
    }
    const sha = command[1];
    if ((name === 'evalsha' || name === 'evalsha_ro') && sha !== undefined) {
      return command.with(1, redisShaOf.get(sha.toLowerCase()) ?? sha);
    }
    return command;
  }

  async function takeConnection(): Promise<RedisConnection> {
    for (let connection = idle.pop(); connection; connection = idle.pop()) {
      if (connection.usable) return connection;
    }
    return RedisConnection.open(redisPort).catch((error: Error) => {
      throw new Error(`redis at 127.0.0.1:${redisPort} is unreachable (${error.message})`);
    });
  }

  // A connection serves one request at a time, so a blocking command or a MULTI ... EXEC batch
  // never interleaves with another request's commands.
  async function run(commands: string[][]): Promise<Reply[]> {
    const connection = await takeConnection();
    try {
      return await connection.send(commands.map(forRedis));
    } finally {
      if (connection.usable && server.listening) idle.push(connection);
      else connection.close();
    }
  }

  async function answer(path: string, body: unknown, base64: boolean): Promise<unknown> {
    const encode = (reply: Reply): unknown => {
      if (Buffer.isBuffer(reply)) return reply.toString(base64 ? 'base64' : 'utf8');
      if (typeof reply === 'string') return base64 ? Buffer.from(reply).toString('base64') : reply;
      if (Array.isArray(reply)) return reply.map(encode);
      if (reply instanceof RedisError) return reply.message;
      return reply;
    };
    const entry = (reply: Reply) => (reply instanceof RedisError ? { error: reply.message } : { result: encode(reply) });

    if (path === '/') {
      const [reply] = await run([toCommand(body)]);
      if (reply instanceof RedisError) throw new RejectedRequest(400, reply.message);
      return { result: encode(reply ?? null) };
    }
    if (path === '/pipeline') {
      return (await run(toCommands(body))).map(entry);
    }
    if (path === '/multi-exec') {
      const replies = await run([['MULTI'], ...toCommands(body), ['EXEC']]);
      const executed = replies.at(-1);
      if (Array.isArray(executed)) return executed.map(entry);
      // EXEC only says the transaction was discarded; the command refused while queueing says why.
      const errors = replies.filter((reply) => reply instanceof RedisError).map((error) => error.message);
      throw new RejectedRequest(400, errors.reverse().join(': ') || 'EXECABORT Transaction discarded');
    }
    throw new RejectedRequest(404, `ERR no endpoint ${path}: use POST /, /pipeline or /multi-exec`);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${token}`) {
      reply(401, { error: 'Unauthorized: missing or wrong Bearer token' });
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    try {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new RejectedRequest(400, 'ERR the request body is not JSON');
      }
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      reply(200, await answer(path, body, request.headers['upstash-encoding'] === 'base64'));
    } catch (error) {
      if (error instanceof RejectedRequest) reply(error.status, { error: error.message });
      else reply(503, { error: `ERR ${(error as Error).message}` });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => response.destroy(error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the Upstash REST adapter has no address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      if (!server.listening) return;
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      for (const connection of idle.splice(0)) connection.close();
      await closed;
    },
  };
}
