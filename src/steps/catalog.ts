import { buildCatalog } from '../catalog/build.js';
import { publishCatalog } from '../catalog/publish.js';
import { OdbackupError } from '../errors.js';
import { readableStore } from '../store/mount.js';
import { counted } from '../words.js';
import { ok, skipped, type Step } from './types.js';

export const catalogStep: Step = {
  name: 'catalog',
  summary: 'write the catalog (every snapshot, every file with size, mtime and XXH64, the last pass, served requests) and publish it to catalog.to with its page',
  locked: true,
  async run(ctx) {
    const to = ctx.config.catalog.to;
    if (!to) return skipped('no catalog.to configured: nothing is published');
    if (ctx.dryRun) return skipped(`dry run: would publish the catalog to ${to}`);
    // Every pass publishes its outcome. A pass that failed does not mount the store for it, and a store that cannot
    // be read leaves the snapshots as the last catalog had them.
    let release: (() => Promise<void>) | undefined;
    let unreadable: string | undefined;
    try {
      release = await readableStore(ctx, !ctx.pass?.firstFailure);
    } catch (error) {
      if (!(error instanceof OdbackupError)) throw error;
      unreadable = error.message;
    }
    try {
      const built = await buildCatalog(ctx, ctx.state.read().requests ?? [], !unreadable);
      await publishCatalog(ctx, built.root);
      if (unreadable) return ok(`the pass's outcome published to ${to}; the snapshots as they last were (${unreadable})`, built);
      const change = `${counted(built.written, 'snapshot')} added, ${built.removed} removed`;
      return ok(`catalog of ${counted(built.files, 'file')} published to ${to} (${change})`, built);
    } finally {
      await release?.();
    }
  },
};
