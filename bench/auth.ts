import { availableParallelism } from 'node:os';
import { measure, measureHelloWorld, printTable, recordResults, startDeployment, type Measurement } from './harness.ts';

/**
 * `npm run bench:auth`: sign-in latency and throughput on `wrangler dev`, beside the same Worker's
 * hello-world route and an authenticated route (token, revocation check in Redis, cached profile)
 * measured in the same run. BENCH_SECONDS and BENCH_CONCURRENCY make a quick check.
 */
const LOGIN_BUDGET_MS = 500; // the original design's budget per login
const LOGIN_AIM_MS = 100; // what we aim for locally
const JURISDICTION = 'us';
const load = {
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 20),
  durationMs: Number(process.env.BENCH_SECONDS ?? 10) * 1000,
};
const UNLIMITED = '100000000/60s';

const deployment = await startDeployment({
  jurisdiction: JURISDICTION,
  // Every client signs in from the same address as the same account: the limits would answer 429.
  vars: { RATE_LIMIT_LOGIN: UNLIMITED, RATE_LIMIT_LOGIN_FAILURES: UNLIMITED, RATE_LIMIT_REGISTER: UNLIMITED },
});
try {
  const postJson = (path: string, body: unknown) =>
    fetch(`${deployment.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const credentials = { email: `bench-${process.pid}@bench.test`, password: 'bench-password' };
  const registered = await postJson('/api/auth/register', { ...credentials, displayName: 'Bench Learner', preferredLanguage: 'en', jurisdiction: JURISDICTION });
  if (!registered.ok) throw new Error(`registering the bench account failed: ${registered.status} ${await registered.text()}`);
  const { accessToken } = (await registered.json()) as { accessToken: string };
  const authorization = { authorization: `Bearer ${accessToken}` };

  console.log(
    `\n${load.concurrency} concurrent clients, ${load.durationMs / 1000} s each, wrangler dev (${JURISDICTION}), ` +
      `PostgreSQL ${process.env.DATABASE_URL ? 'server' : 'PGlite'}, ${availableParallelism()} cores\n`,
  );
  const rows = [
    await measureHelloWorld(deployment.url, load),
    await measure('GET /api/me (token + revocation check)', load, () => fetch(`${deployment.url}/api/me`, { headers: authorization })),
    await measure('POST /api/auth/login', load, () => postJson('/api/auth/login', credentials)),
  ];
  printTable(rows);
  const [hello, me, login] = rows as [Measurement, Measurement, Measurement];
  await recordResults('login', [{ budget: `< ${LOGIN_BUDGET_MS} ms (aim < ${LOGIN_AIM_MS} ms)`, measured: login, baseline: hello }]);
  console.log(`\nan authenticated request costs ${(me.p50 - hello.p50).toFixed(1)} ms more than hello world at the median`);
  const verdict = (limit: number) => (login.p95 < limit ? 'within' : 'over');
  console.log(
    `\nlogin p95 ${login.p95.toFixed(1)} ms: ${verdict(LOGIN_BUDGET_MS)} the design's ${LOGIN_BUDGET_MS} ms budget, ` +
      `${verdict(LOGIN_AIM_MS)} the ${LOGIN_AIM_MS} ms local aim; ${login.rps.toFixed(1)} logins/s\n`,
  );
  if (rows.some((row) => row.requests === 0)) process.exitCode = 1;
} finally {
  await deployment.stop();
}
