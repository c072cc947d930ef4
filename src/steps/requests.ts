import { serveRequests, type ServedRequests } from '../catalog/requests.js';
import { table } from '../render.js';
import { counted } from '../words.js';
import { readableStore } from '../store/mount.js';
import { ok, skipped, type Step } from './types.js';

export const requestsStep: Step = {
  name: 'requests',
  summary: 'serve the restore requests waiting in catalog.requests: each once, proven, into a new folder of a named destination',
  locked: true,
  async run(ctx) {
    const from = ctx.config.catalog.requests;
    if (!from) return skipped('no catalog.requests configured: no request is read');
    if (ctx.dryRun) return skipped(`dry run: would serve the restore requests in ${from}`);
    const release = await readableStore(ctx, true);
    try {
      const served = await serveRequests(ctx);
      const done = served.results.filter((result) => result.status === 'done').length;
      const failed = served.results.length - done;
      const waiting = served.waiting ? `, ${served.waiting} waiting for the next pass` : '';
      return ok(`${counted(done, 'restore request')} served, ${failed} refused or failed${waiting}`, served);
    } finally {
      await release();
    }
  },
  render(result) {
    const served = result.data as ServedRequests | undefined;
    if (!served?.results.length) return result.message;
    const rows = served.results.map((request) => [request.id, request.status, request.message]);
    return `${table(['request', 'result', ''], rows)}\n${result.message}`;
  },
};
