import { sourcesFor } from '../config/sources.js';
import { assertStoreWritable } from '../store/device.js';
import { SourceStore } from '../store/snapshots.js';
import { ok, type Step } from './types.js';

/** Moves each source's latest to its newest pull that verify passed: latest only ever points at a verified one. */
export const promoteStep: Step = {
  name: 'promote',
  summary: "point latest at each source's newest verified snapshot",
  arguments: [{ name: 'target', description: 'a group or a source name; all when left out' }],
  locked: true,
  async run(ctx, { args: [target] }) {
    const ready = ctx.state.promotable(sourcesFor(ctx.config, target).map((source) => source.name));
    const list = ready.map(({ source, snapshot }) => `${source} → ${snapshot}`).join(', ');
    if (ready.length === 0) return ok('nothing verified to promote');
    if (ctx.dryRun) return ok(`would promote ${list}`);
    await assertStoreWritable(ctx.config);
    for (const { source, snapshot } of ready) {
      new SourceStore(ctx.config.storage.path, source).promote(snapshot);
      ctx.state.markPromoted(source);
    }
    return ok(`latest: ${list}`);
  },
};
