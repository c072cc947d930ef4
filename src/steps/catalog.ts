import { buildCatalog } from '../catalog/build.js';
import { publishCatalog } from '../catalog/publish.js';
import { readableStore } from '../store/mount.js';
import { ok, skipped, type Step } from './types.js';

export const catalogStep: Step = {
  name: 'catalog',
  summary: 'write the catalog (every snapshot, every file with size, mtime and XXH64, the last pass, served requests) and publish it to catalog.to with its page',
  locked: true,
  async run(ctx) {
    const to = ctx.config.catalog.to;
    if (!to) return skipped('no catalog.to configured: nothing is published');
    if (ctx.dryRun) return skipped(`dry run: would publish the catalog to ${to}`);
    const release = await readableStore(ctx, true);
    try {
      const built = await buildCatalog(ctx, ctx.state.read().requests ?? []);
      await publishCatalog(ctx, built.root);
      const change = `${built.written} snapshot${built.written === 1 ? '' : 's'} added, ${built.removed} removed`;
      return ok(`catalog of ${built.files} files published to ${to} (${change})`, built);
    } finally {
      await release();
    }
  },
};
