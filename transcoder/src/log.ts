/**
 * One JSON object per line, the same shape the Workers log (`workers/lib/log.ts`); the container
 * image holds only this folder, so it cannot import that file.
 */
export function log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, message, ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
