/**
 * The ClickHouse HTTP interface over embedded ClickHouse (chdb), as far as `@clickhouse/client-web`
 * uses it. A program, not a module: clickhouse.ts runs it in a child process because libchdb binds
 * one data directory per process and its engine must never share the orchestrator's event loop.
 *
 * argv[2] is a JSON `{ dataDir?, username, password, port? }` (no port: a free one); the child answers
 * `{ port }` over IPC once it listens, and exits when the parent disconnects (its `stop()` or its death).
 * The engine keeps no `system.query_log` (chdb starts no system logs, whatever the configuration), so
 * the child remembers the `query_id` and `log_comment` of the last queries it received and answers
 * `{ receivedQueries: prefix }` over IPC with those whose query id starts with the prefix.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Session } from 'chdb';

interface ChdbOutput {
  bytes: Uint8Array;
  elapsed: number;
  rowsRead: number;
  bytesRead: number;
}

// chdb's public queryBind re-escapes string values, but HTTP `param_<name>` values already come in
// ClickHouse's escaped text form (`O\'Brien`); the addon's own entry point hands them to the
// engine's binder verbatim, exactly as the ClickHouse server does.
const require = createRequire(import.meta.url);
const chdbNative = (
  require(join(dirname(require.resolve('chdb')), 'dist', 'loader.js')) as {
    loadNative(): {
      QueryAsyncConnection(connection: unknown, sql: string, format: string, params: Record<string, string>): Promise<ChdbOutput>;
    };
  }
).loadNative();

const { dataDir, username, password, port } = JSON.parse(process.argv[2] ?? '{}') as {
  dataDir?: string;
  username: string;
  password: string;
  port?: number;
};

// Holds the data directory for the life of the process; every request opens its own connection
// to it so `USE` and `SET` stay per request, as they are over HTTP.
const engine = new Session(dataDir);

interface ReceivedQuery {
  queryId: string;
  logComment: string;
}
const RECEIVED_KEPT = 10_000;
const received: ReceivedQuery[] = [];

// HTTP-level parameters of the ClickHouse server; every other URL parameter is a setting.
const HTTP_PARAMETERS = new Set([
  'query', 'database', 'default_format', 'query_id', 'user', 'password', 'quota_key', 'role',
  'session_id', 'session_timeout', 'session_check', 'compress', 'decompress', 'buffer_size',
  'wait_end_of_query', 'stacktrace', 'client_protocol_version',
  'enable_http_compression', 'http_zlib_compression_level', 'send_progress_in_http_headers',
  'http_headers_progress_interval_ms', 'http_response_buffer_size',
]);

// The status ClickHouse's HTTP handler gives these error codes; any other error is a 500.
const STATUS_OF_CODE = new Map([
  [27, 400], [36, 400], [62, 400], [115, 400], [456, 400], [457, 400],
  [46, 404], [47, 404], [60, 404], [81, 404],
  [164, 403], [516, 403],
]);

class ClickHouseFailure extends Error {
  code: number;
  constructor(message: string) {
    const code = /^Code: (\d+)\./.exec(message)?.[1];
    super(code ? message : `Code: 1001. DB::Exception: ${message}. (STD_EXCEPTION)`);
    this.code = Number(code ?? 1001);
  }
}

async function execute(request: {
  sql: string;
  format: string;
  database: string | null;
  settings: [string, string][];
  params: Record<string, string>;
}): Promise<ChdbOutput> {
  const connection = new Session(engine.path);
  try {
    const literal = (text: string) => `'${text.replace(/[\\']/g, '\\$&')}'`;
    const identifier = (text: string) => `\`${text.replace(/[\\`]/g, '\\$&')}\``;
    const setting = ([name, value]: [string, string]) => {
      if (!/^\w+$/.test(name)) throw new Error(`Code: 115. DB::Exception: Unknown setting '${name}'. (UNKNOWN_SETTING)`);
      return `SET ${name} = ${literal(value)}`;
    };
    const prelude = [...(request.database ? [`USE ${identifier(request.database)}`] : []), ...request.settings.map(setting)];
    await connection.queryAsync(prelude.join('; '));
    if (Object.keys(request.params).length === 0) {
      const result = await connection.queryAsync(request.sql, { format: request.format });
      return { bytes: result.bytes(), elapsed: result.elapsed, rowsRead: result.rowsRead, bytesRead: result.bytesRead };
    }
    // Each connection keeps its own bound parameters (chdb 3.4), so requests run side by side, as on a server.
    return await chdbNative.QueryAsyncConnection(connection.connection, request.sql, request.format, request.params);
  } catch (error) {
    throw new ClickHouseFailure((error as Error).message);
  } finally {
    connection.close();
  }
}

function credentialsOf(request: IncomingMessage, params: URLSearchParams): [string, string] {
  const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return [decoded.slice(0, colon), decoded.slice(colon + 1)];
  }
  const header = (name: string) => request.headers[name] as string | undefined;
  return [
    header('x-clickhouse-user') ?? params.get('user') ?? 'default',
    header('x-clickhouse-key') ?? params.get('password') ?? '',
  ];
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/ping') {
    response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
    return;
  }
  const params = url.searchParams;
  const queryId = params.get('query_id') || randomUUID();
  const fail = (status: number, error: ClickHouseFailure) => {
    response
      .writeHead(status, {
        'content-type': 'text/plain; charset=UTF-8',
        'x-clickhouse-query-id': queryId,
        'x-clickhouse-exception-code': String(error.code),
      })
      .end(`${error.message}\n`);
  };
  if (url.pathname !== '/') {
    response.writeHead(404, { 'content-type': 'text/plain; charset=UTF-8' }).end(`There is no handle ${url.pathname}\n`);
    return;
  }
  const [user, key] = credentialsOf(request, params);
  if (user !== username || key !== password) {
    fail(403, new ClickHouseFailure(
      `Code: 516. DB::Exception: ${user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`,
    ));
    return;
  }
  if (params.has('session_id')) {
    fail(400, new ClickHouseFailure('HTTP sessions (session_id) are not supported by the local ClickHouse endpoint'));
    return;
  }

  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  let body = Buffer.concat(chunks).toString('utf8');
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.startsWith('multipart/form-data')) {
    // Query parameters too long for the URL come as form fields, the query among them.
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    for (const [name, value] of form) if (typeof value === 'string') params.set(name, value);
    body = '';
  }
  // As in ClickHouse: the `query` parameter, then the body (the data of an INSERT, or the query).
  const sql = [params.get('query'), body].filter(Boolean).join('\n');
  if (!sql.trim()) {
    fail(400, new ClickHouseFailure('Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)'));
    return;
  }
  received.push({ queryId, logComment: params.get('log_comment') ?? '' });
  if (received.length > RECEIVED_KEPT) received.splice(0, received.length - RECEIVED_KEPT);
  const format = /\bFORMAT\s+(\w+)\s*;?\s*$/i.exec(sql)?.[1] ?? params.get('default_format') ?? 'TabSeparated';
  const settings = [...params].filter(([name]) => !HTTP_PARAMETERS.has(name) && !name.startsWith('param_'));
  // chdb turns these on for in-process use; a ClickHouse server keeps them off.
  settings.unshift(['implicit_select', '0'], ['allow_introspection_functions', '0']);
  if (request.method === 'GET') settings.unshift(['readonly', '2']);
  const bound = [...params].filter(([name]) => name.startsWith('param_')).map(([name, value]) => [name.slice(6), value]);

  try {
    const output = await execute({ sql, format, database: params.get('database'), settings, params: Object.fromEntries(bound) });
    const summary = {
      read_rows: String(output.rowsRead),
      read_bytes: String(output.bytesRead),
      written_rows: '0',
      written_bytes: '0',
      total_rows_to_read: '0',
      result_rows: String(output.rowsRead),
      result_bytes: String(output.bytesRead),
      elapsed_ns: String(Math.round(output.elapsed * 1e9)),
    };
    response
      .writeHead(200, {
        'content-type': /^JSON/i.test(format) ? 'application/json; charset=UTF-8' : 'text/plain; charset=UTF-8',
        'x-clickhouse-query-id': queryId,
        'x-clickhouse-format': format,
        'x-clickhouse-summary': JSON.stringify(summary),
      })
      .end(output.bytes);
  } catch (error) {
    const failure = error instanceof ClickHouseFailure ? error : new ClickHouseFailure((error as Error).message);
    fail(STATUS_OF_CODE.get(failure.code) ?? 500, failure);
  }
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: Error) => response.destroy(error));
});
server.listen(port ?? 0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (message: { receivedQueries?: string; id?: number }) => {
  if (typeof message.receivedQueries !== 'string') return;
  const prefix = message.receivedQueries;
  process.send?.({ id: message.id, receivedQueries: received.filter((entry) => entry.queryId.startsWith(prefix)) });
});
process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
  engine.close();
  process.exit(0);
});
