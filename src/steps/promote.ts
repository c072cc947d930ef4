import { sourcesFor } from '../config/sources.js';
import { assertStoreWritable } from '../store/storage.js';
import { SourceStore } from '../store/snapshots.js';
import { ok, type Step } from './types.js';

/** Moves each source's latest to its newest pull that verify passed: latest only ever points at a verified one. */
export const promoteStep: Step = {
  name: 'promote',
  summary: 'point latest at each source\'s newest verified snapshot',
  arguments: [{ name: 'target', description: 'a group or a source name; all when left out' }],
  locked: true,
  async run(ctx, { args: [target] }) {
    const sources = sourcesFor(ctx.config, target);
    const records = ctx.state.read().sources ?? {};
    const ready = sources.filter((source) => records[source.name]?.verifiedAt && !records[source.name]!.promoted);
    if (ready.length === 0) return ok('nothing verified to promote');
    if (ctx.dryRun) return ok(`would promote ${ready.map((source) => `${source.name} → ${records[source.name]!.snapshot}`).join(', ')}`);
    await assertStoreWritable(ctx.config);
    for (const source of ready) {
      new SourceStore(ctx.config.storage.path, source.name).promote(records[source.name]!.snapshot);
      ctx.state.update((state) => {
        state.sources![source.name]!.promoted = true;
      });
    }
    return ok(`latest → ${ready.map((source) => `${source.name} ${records[source.name]!.snapshot}`).join(', ')}`);
  },
};
