import { dispatchQueue } from '../lib/queue.ts';
import { app } from './app.ts';

export default {
  fetch: app.fetch,
  queue: (batch, env) => dispatchQueue(batch, env, {}),
} satisfies ExportedHandler<Env>;
