import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import type { Context } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { SRC_DIR } from '../paths.js';
import { scheduledWake } from '../power/schedule.js';
import { AtomicFile, writeFileAtomic } from '../state/atomic.js';
import { failureCodeOf } from '../state/run-state.js';
import { manifestOf, storeSnapshots } from '../store/catalog.js';
import { readManifest } from '../store/manifest.js';
import { bytePath } from '../store/names.js';
import { SourceStore } from '../store/snapshots.js';
import { coverageDays, coverageText, sliceReads } from '../verify/scrub.js';
import { CATALOG_VERSION, catalogLine, dataFile, type CatalogIndex, type PublishedSource, type RequestResult } from './format.js';

/** The page and the restore request's JSON Schema, shipped beside the program (packaging/catalog/). */
const SHIPPED = ['index.html', 'request.schema.json'].map((name) => ({ name, url: new URL(`../../packaging/catalog/${name}`, SRC_DIR) }));

export interface BuiltCatalog {
  /** The folder mirrored to catalog.to: index.html, nodes.json and <node>/. */
  root: string;
  /** Data files written tonight (new snapshots) and removed (pruned ones). */
  written: number;
  removed: number;
  files: number;
}

/**
 * Brings the catalog under stateDir up to date with the store: a data file for each snapshot that has none yet
 * (written once: a snapshot never changes), none for a snapshot that is gone, and a new index.json. What a night
 * costs is its new snapshots.
 */
export async function buildCatalog(ctx: Context, requests: RequestResult[]): Promise<BuiltCatalog> {
  const { config } = ctx;
  const root = join(config.stateDir, 'catalog');
  const nodeDir = join(root, config.node);
  const state = ctx.state.read();
  const built: BuiltCatalog = { root, written: 0, removed: 0, files: 0 };
  const sources: PublishedSource[] = [];
  for (const source of config.sources) {
    const store = new SourceStore(config.storage.path, source.name);
    const rows = storeSnapshots(store, state.snapshots?.[source.name]).describe();
    const folder = join(nodeDir, 'data', source.name);
    mkdirSync(folder, { recursive: true });
    for (const row of rows) {
      const data = dataFile(source.name, row.snapshot);
      built.files += row.files;
      if (existsSync(join(nodeDir, data))) continue;
      await writeSnapshotData(store, row.snapshot, join(nodeDir, data));
      built.written++;
    }
    const kept = new Set(rows.map((row) => `${row.snapshot}.gz`));
    for (const name of readdirSync(folder)) if (!kept.has(name)) built.removed += remove(join(folder, name));
    const coverage = coverageText(coverageDays(sliceReads(state.scrub, source.name, config.verify.scrubDays), config.verify.scrubDays, ctx.now()));
    sources.push({ name: source.name, group: source.group, coverage, snapshots: rows.map((row) => ({ ...row, data: dataFile(source.name, row.snapshot) })) });
  }
  // Sources no longer configured leave the catalog with their data.
  const configured = new Set(config.sources.map((source) => source.name));
  for (const name of readdirSync(join(nodeDir, 'data'))) if (!configured.has(name)) built.removed += remove(join(nodeDir, 'data', name));

  const pass = ctx.pass ?? state.passes[0];
  const exitCode = pass?.firstFailure || pass?.outcome === 'failed' ? failureCodeOf(pass) : 0;
  const meaning = Object.values(EXIT_CODES).find((entry) => entry.code === exitCode)!.meaning;
  const index: CatalogIndex = {
    version: CATALOG_VERSION,
    node: config.node,
    publishedAt: ctx.now().toISOString(),
    lastPass: pass && { startedAt: pass.startedAt, exitCode, meaning, message: pass.firstFailure?.message, warnings: pass.warnings.length },
    nextWake: scheduledWake(config, ctx.now()).toISOString(),
    destinations: Object.keys(config.restore.destinations),
    sources,
    requests,
  };
  writeFileAtomic(join(nodeDir, 'index.json'), JSON.stringify(index) + '\n');
  writeFileAtomic(join(root, 'nodes.json'), JSON.stringify([...new Set([config.node, ...config.catalog.peers])].sort()) + '\n');
  for (const { name, url } of SHIPPED) copyFileSync(url, join(root, name));
  return built;
}

function remove(path: string): number {
  rmSync(path, { recursive: true, force: true });
  return 1;
}

/** One snapshot's files in walk order with size and mtime (a stat each: the manifest has neither), gzipped. */
async function writeSnapshotData(store: SourceStore, snapshot: string, path: string): Promise<void> {
  const directory = store.path(snapshot);
  const file = new AtomicFile(path);
  const gzip = createGzip({ level: 9 });
  gzip.on('data', (chunk: Buffer) => file.write(chunk));
  try {
    let batch = '';
    for (const { name, hash } of readManifest(manifestOf(store, snapshot))) {
      const stats = lstatSync(bytePath(directory, name));
      batch += catalogLine({ name, hash, size: stats.size, mtime: Math.floor(stats.mtimeMs / 1000) });
      if (batch.length > 65_536) {
        const flowing = gzip.write(batch);
        batch = '';
        if (!flowing) await once(gzip, 'drain');
      }
    }
    gzip.end(batch);
    await once(gzip, 'end');
    file.commit();
  } catch (error) {
    file.abandon();
    throw error;
  }
}
