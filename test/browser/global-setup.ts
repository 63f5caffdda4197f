import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { JurisdictionId } from '../../contracts/jurisdictions.ts';
import { buildWeb, startLocalDeployments } from '../../scripts/local-deployments.ts';
import './provided.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LOG = `${root}test-results/browser-platform.log`;

/**
 * Builds the SPA and starts both jurisdictions as `npm run dev` does, but on free ports with
 * temporary state (the dev platform on 8787/8788 and `.data/` are never touched), then waits until
 * both demo courses have their transcoded video. The Workers' output goes to test-results/browser-platform.log.
 */
export default async function setup(project: TestProject) {
  buildWeb();
  await mkdir(`${root}test-results`, { recursive: true });
  const log = createWriteStream(LOG);
  const deployments = await startLocalDeployments({
    // What these tests exercise: a left-to-right and a right-to-left jurisdiction; each more costs a runtime and a transcode.
    jurisdictions: ['us', 'sa'] satisfies JurisdictionId[],
    namePrefix: `kce_browser_${process.pid}_`,
    demo: true,
    // Many sign-ins and sign-ups from one address within minutes: the limits are for attackers, not these tests.
    vars: { RATE_LIMIT_LOGIN: '1000/60s', RATE_LIMIT_LOGIN_FAILURES: '1000/60s', RATE_LIMIT_REGISTER: '1000/60s', RATE_LIMIT_LOCATE: '1000/60s' },
    log: (line) => log.write(`${line}\n`),
  });
  try {
    // seedDemoVideos only warns, and skips a course that has its video: a second try mends a
    // passing failure (e.g. the two runtimes' shared local state briefly locked); then a missing video fails here, once.
    for (let attempt = 1; ; attempt++) {
      await deployments.seedDemoVideos();
      const missing = await missingDemoVideos(deployments.urls);
      if (!missing.length) break;
      if (attempt === 2) throw new Error(`the ${missing.join(' and ')} demo course has no transcoded video (see ${LOG} and the [seed] lines above)`);
    }
  } catch (error) {
    await deployments.stop();
    throw error;
  }
  project.provide('urls', deployments.urls);
  project.provide('settings', deployments.settings);
  return async () => {
    await deployments.stop();
    log.end();
  };
}

async function missingDemoVideos(urls: Record<string, string>): Promise<string[]> {
  const missing: string[] = [];
  for (const [jurisdiction, url] of Object.entries(urls)) {
    const response = await fetch(`${url}/api/courses/edge-computing-101-${jurisdiction}`);
    const course = (await response.json()) as { lessons?: Array<{ position: number; videoId: string | null }> };
    if (!course.lessons?.toSorted((a, b) => a.position - b.position)[0]?.videoId) missing.push(jurisdiction);
  }
  return missing;
}
