import { z } from 'zod';

/** One dependency checked for real (also the answer of RPC `analytics.health` and `media.transcoderHealth`). */
export const DependencyHealth = z
  .object({
    ok: z.boolean(),
    ms: z.int().min(0).meta({ description: 'How long the check took.' }),
    error: z.string().optional().meta({ description: 'Why it failed, when it did.' }),
  })
  .meta({ id: 'DependencyHealth' });
export type DependencyHealth = z.infer<typeof DependencyHealth>;

/** Runs one real check with a deadline, so a hung dependency never hangs the health route. */
export async function checkDependency(check: () => Promise<unknown>, timeoutMs: number): Promise<DependencyHealth> {
  const started = performance.now();
  const deadline = Promise.withResolvers<never>();
  const timer = setTimeout(() => deadline.reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    await Promise.race([check(), deadline.promise]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, ms: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}
