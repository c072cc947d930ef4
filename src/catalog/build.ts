import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { counted } from '../words.js';
import { EXIT_CODES, isSourceFailure } from '../exit-codes.js';
import { SRC_DIR } from '../paths.js';
import { scheduledWake } from '../power/schedule.js';
import { writeFileAtomic } from '../state/atomic.js';
import { failureCodeOf, type PassRecord, type SnapshotFacts } from '../state/run-state.js';
import { storeSnapshots } from '../store/catalog.js';
import { SourceStore } from '../store/snapshots.js';
import { sourceCoverageText } from '../verify/scrub.js';
import { sourcePresence } from '../sync/presence.js';
import { destinationsOf, maySee } from './people.js';
import { writePathIndex } from './index-write.js';
import { CATALOG_VERSION, type CatalogIndex, type PublishedSource, type RequestResult } from './format.js';

/**
 * The page and its script, the JSON Schemas of a request and an index (packaging/catalog/), the page's matching rule
 * (match.ts) and its reader of a path index (path-index.ts).
 */
export const SHIPPED = [
  ...['index.html', 'page.js', 'request.schema.json', 'index.schema.json'].map((name) => ({ name, url: new URL(`../../packaging/catalog/${name}`, SRC_DIR) })),
  ...['match.js', 'path-index.js'].map((name) => ({ name, url: new URL(`catalog/${name}`, SRC_DIR) })),
];

export interface BuiltCatalog {
  /** The folder mirrored to catalog.to: index.html, nodes.json and <node>/. */
  root: string;
  /** Snapshots new in the catalog tonight, and gone from it (pruned, or their source removed). */
  written: number;
  removed: number;
  /** Files in the indexes: every path any snapshot holds, once. */
  files: number;
}

/**
 * Brings the catalog under stateDir up to date with the store: each source's path index for its snapshots now (only
 * the newest: the staging copy is one index per source), and a new index.json. With the store unreadable (its disk
 * gone, a pass that failed before it was mounted), the snapshots stay as the last catalog had them and only the
 * pass's outcome is new: the page never shows an old OK.
 */
export async function buildCatalog(ctx: Context, requests: RequestResult[], storeReadable = true): Promise<BuiltCatalog> {
  const { config } = ctx;
  const root = join(config.stateDir, 'catalog');
  const nodeDir = join(root, config.node);
  const built: BuiltCatalog = { root, written: 0, removed: 0, files: 0 };
  const published = previousIndex(join(nodeDir, 'index.json'));
  const sources = storeReadable ? await buildSources(ctx, nodeDir, published, built) : (published?.sources ?? []);
  mkdirSync(nodeDir, { recursive: true });
  writeIndex(ctx, nodeDir, sources, requests);
  writePeopleIndexes(ctx, nodeDir, sources, requests);
  writeFileAtomic(join(root, 'nodes.json'), JSON.stringify([...new Set([config.node, ...config.catalog.peers])].sort()) + '\n');
  for (const { name, url } of SHIPPED) copyFileSync(url, join(root, name));
  return built;
}

/**
 * Each source's snapshots and its path index: written anew when its snapshots changed (from the one before: a night
 * reads its new manifests), kept when they did not; a source no longer configured leaves with its index.
 */
async function buildSources(ctx: Context, nodeDir: string, published: CatalogIndex | undefined, built: BuiltCatalog): Promise<PublishedSource[]> {
  const { config } = ctx;
  const state = ctx.state.read();
  const sources: PublishedSource[] = [];
  const comesAndGoes = sourcePresence(config, state, ctx.now());
  for (const source of config.sources) {
    const store = new SourceStore(config.storage.path, source.name);
    const before = published?.sources.find((candidate) => candidate.name === source.name);
    // What the last catalog measured stands while the snapshot before it is the same: only new ones are walked.
    const recorded = state.snapshots?.[source.name] ?? {};
    const measured = publishedFacts(before);
    const known = Object.fromEntries([...new Set([...Object.keys(recorded), ...Object.keys(measured)])].map((name) => [name, { ...recorded[name], ...measured[name] }]));
    const rows = storeSnapshots(store, known).describe();
    const names = rows.map((row) => row.snapshot);
    const previous = before?.index && { index: before.index, snapshots: before.snapshots.map((row) => row.snapshot) };
    const index = names.length ? writePathIndex(store, nodeDir, names, previous) : undefined;
    const earlier = new Set(previous?.snapshots);
    built.written += names.filter((name) => !earlier.has(name)).length;
    built.removed += previous ? previous.snapshots.filter((name) => !names.includes(name)).length : 0;
    built.files += index?.paths ?? 0;
    removeExcept(join(nodeDir, 'data', source.name), index?.folder.split('/').at(-1));
    const coverage = sourceCoverageText(state.scrub, source.name, config.verify.scrubDays, ctx.now());
    const presence = comesAndGoes.find((entry) => entry.source === source.name);
    sources.push({
      name: source.name,
      group: source.group,
      coverage,
      snapshots: rows,
      ...(index ? { index } : {}),
      lastSaved: rows.find((row) => row.latest)?.time,
      ...(presence ? { presence: { away: presence.away, overdue: presence.overdue, text: presence.text } } : {}),
    });
  }
  // Sources no longer configured leave the catalog with their index.
  const configured = new Set(config.sources.map((source) => source.name));
  for (const gone of published?.sources ?? []) if (!configured.has(gone.name)) built.removed += gone.snapshots.length;
  removeExcept(join(nodeDir, 'data'), ...configured);
  return sources;
}

/**
 * index.json: the sources, the pass (still running: its outcome so far, in words), the served requests. For one
 * person: only the sources they may see, their destinations and requests, and a failure of someone else's source
 * without its words.
 */
function writeIndex(ctx: Context, folder: string, sources: PublishedSource[], requests: RequestResult[], person?: string): void {
  const { config } = ctx;
  const pass = ctx.pass ?? ctx.state.read().passes[0];
  const exitCode = pass?.firstFailure || pass?.outcome === 'failed' ? failureCodeOf(pass) : 0;
  const meaning = Object.values(EXIT_CODES).find((entry) => entry.code === exitCode)!.meaning;
  const failedSource = pass?.firstFailure?.source;
  const told = person === undefined || failedSource === undefined || maySee(config, person, failedSource);
  const index: CatalogIndex = {
    version: CATALOG_VERSION,
    node: config.node,
    ...(person === undefined ? {} : { person }),
    publishedAt: ctx.now().toISOString(),
    lastPass: pass && {
      startedAt: pass.startedAt,
      exitCode,
      meaning,
      ...(told ? { message: pass.firstFailure?.message, summary: passSummary(pass, exitCode) } : { summary: `FAILED (${exitCode}): ${meaning}, in a source that is not yours` }),
      warnings: pass.warnings.length,
    },
    nextWake: scheduledWake(config, ctx.now(), ctx.state.read()).toISOString(),
    destinations: person === undefined ? Object.keys(config.restore.destinations) : destinationsOf(config, person),
    sources: person === undefined ? sources : sources.filter((source) => maySee(config, person, source.name)),
    requests: person === undefined ? requests : requests.filter((request) => request.person === person || config.people[person]?.staff),
  };
  mkdirSync(folder, { recursive: true });
  writeFileAtomic(join(folder, 'index.json'), JSON.stringify(index) + '\n');
}

/** <node>/people/<person>/index.json for each person (the web server gives each their own); gone people removed. */
function writePeopleIndexes(ctx: Context, nodeDir: string, sources: PublishedSource[], requests: RequestResult[]): void {
  const folder = join(nodeDir, 'people');
  const people = Object.keys(ctx.config.people);
  for (const person of people) writeIndex(ctx, join(folder, person), sources, requests, person);
  removeExcept(folder, ...people);
}

/**
 * The pass in one sentence, as the page says it: "OK", or "FAILED (42): <what>", and for one source's failure
 * whether the others were saved.
 */
export function passSummary(pass: PassRecord, exitCode: number): string {
  const warnings = pass.warnings.length ? ` with ${counted(pass.warnings.length, 'warning')}` : '';
  if (exitCode === 0) return `OK${warnings}`;
  const failure = pass.firstFailure;
  const what = failure?.message ?? EXIT_CODES.internal.meaning;
  const promoted = pass.steps.some((step) => step.step === 'promote' && step.status !== 'failed' && step.status !== 'skipped');
  const others = failure?.source && isSourceFailure(failure.code) ? (promoted ? '; the other sources were saved' : '; nothing was saved') : '';
  return `FAILED (${exitCode}): ${what}${others}`;
}

function previousIndex(path: string): CatalogIndex | undefined {
  try {
    // An older format's sources have no path index (it is written anew) but keep their measured sizes.
    return JSON.parse(readFileSync(path, 'utf8')) as CatalogIndex;
  } catch {
    return undefined; // none yet, or damaged: everything is measured again
  }
}

/** A published source's snapshots as the facts a pull records (sizes, and what they were counted against). */
function publishedFacts(source: PublishedSource | undefined): Record<string, SnapshotFacts> {
  const rows = source?.snapshots ?? [];
  return Object.fromEntries(rows.map((row, at) => [row.snapshot, { files: row.files, bytes: row.bytes, newBytes: row.newBytes, newAfter: rows[at - 1]?.snapshot }]));
}

/** Everything in a folder but the names given (a source's index before tonight's, one left by a cut-off pass). */
function removeExcept(folder: string, ...keep: (string | undefined)[]): void {
  if (!existsSync(folder)) return;
  for (const name of readdirSync(folder)) if (!keep.includes(name)) rmSync(join(folder, name), { recursive: true, force: true });
}
