import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure a system binary from Debian's packages is there: installs it with apt-get when this is
 * a Debian-family machine and we are root, otherwise stops with the exact command to run.
 */
export function ensureBinary(binary: string, aptPackage: string): void {
  if (onPath(binary)) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${aptPackage}`;
  const canInstall = existsSync('/etc/debian_version') && process.getuid?.() === 0;
  if (!canInstall) {
    throw new Error(`${binary} is not installed. Install it with: sudo sh -c '${command}'`);
  }
  console.log(`installing ${aptPackage} (${binary} is missing): ${command}`);
  execFileSync('sh', ['-c', command], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!onPath(binary)) throw new Error(`apt-get installed ${aptPackage} but ${binary} is still not on PATH`);
}
