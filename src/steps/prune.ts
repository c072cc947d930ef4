import { sourcesFor } from '../config/sources.js';
import { statfsSync } from 'node:fs';
import { table } from '../render.js';
import { counted } from '../words.js';
import { expiredSnapshots } from '../store/retention.js';
import { SourceStore } from '../store/snapshots.js';
import { assertStoreWritable } from '../store/device.js';
import { ok, type Context, type Step } from './types.js';

interface PruneOptions {
  dryRun?: boolean;
}

interface Removal {
  source: string;
  snapshot: string;
  reason: 'retention' | 'disk pressure';
}

const GiB = 1024 ** 3;

function freeGiB(path: string): number {
  const stats = statfsSync(path);
  return (stats.bavail * stats.bsize) / GiB;
}

function planRemovals(ctx: Context, stores: SourceStore[]): Removal[] {
  const removals: Removal[] = [];
  const kept: { store: SourceStore; snapshot: string }[] = [];
  for (const store of stores) {
    const protect = new Set([store.protectedSnapshot()].filter((name): name is string => Boolean(name)));
    const expired = new Set(expiredSnapshots(store.snapshots(), ctx.config.retention, protect));
    for (const snapshot of store.snapshots()) {
      if (expired.has(snapshot)) removals.push({ source: store.name, snapshot, reason: 'retention' });
      else if (!protect.has(snapshot)) kept.push({ store, snapshot });
    }
  }
  return removals.concat(pressureRemovals(ctx, kept));
}

/**
 * Under disk pressure the oldest snapshots go first, across all sources. How much a removal frees is not known
 * before (hard links), so on a dry run this lists only what retention removes, and for real it re-measures.
 */
function pressureRemovals(ctx: Context, kept: { store: SourceStore; snapshot: string }[]): Removal[] {
  const minimum = ctx.config.storage.minFreeGiB;
  if (minimum <= 0 || ctx.dryRun || freeGiB(ctx.config.storage.path) >= minimum) return [];
  return kept
    .sort((a, b) => a.snapshot.localeCompare(b.snapshot))
    .map(({ store, snapshot }) => ({ source: store.name, snapshot, reason: 'disk pressure' as const }));
}

export const pruneStep: Step<PruneOptions> = {
  name: 'prune',
  summary: 'remove old snapshots by retention, and the oldest first under disk pressure (never the newest verified)',
  arguments: [{ name: 'target', description: 'a group or a source name; all when left out' }],
  options: [{ flags: '--dry-run', description: 'list what would be removed; remove nothing' }],
  locked: true,
  async run(ctx, { args: [target] }) {
    await assertStoreWritable(ctx.config);
    const stores = sourcesFor(ctx.config, target).map((source) => new SourceStore(ctx.config.storage.path, source.name));
    const minimum = ctx.config.storage.minFreeGiB;
    const removed: Removal[] = [];
    for (const removal of planRemovals(ctx, stores)) {
      if (removal.reason === 'disk pressure' && freeGiB(ctx.config.storage.path) >= minimum) break;
      if (!ctx.dryRun) await stores.find((store) => store.name === removal.source)!.remove(removal.snapshot, ctx.config.system.programs);
      removed.push(removal);
    }
    if (!ctx.dryRun) for (const store of stores) await store.removeLeftovers(ctx.config.system.programs);
    const free = freeGiB(ctx.config.storage.path);
    const verb = ctx.dryRun ? 'would remove' : 'removed';
    const result = ok(`${verb} ${counted(removed.length, 'snapshot')}; ${free.toFixed(1)} GiB free`, removed);
    if (minimum > 0 && free < minimum && !ctx.dryRun) {
      result.warnings = [
        { code: 'diskFull', message: `only ${free.toFixed(1)} GiB free on ${ctx.config.storage.path} after pruning (minimum ${minimum} GiB)` },
      ];
    }
    return result;
  },
  render(result) {
    const removed = result.data as Removal[];
    if (removed.length === 0) return result.message;
    return [
      result.message,
      table(
        ['source', 'snapshot', 'why'],
        removed.map((removal) => [removal.source, removal.snapshot, removal.reason]),
      ),
    ].join('\n');
  },
};
