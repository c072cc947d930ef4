import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { createGzip } from 'node:zlib';
import type { Context } from '../context.js';
import { counted } from '../words.js';
import { EXIT_CODES, isSourceFailure } from '../exit-codes.js';
import { SRC_DIR } from '../paths.js';
import { scheduledWake } from '../power/schedule.js';
import { AtomicFile, writeFileAtomic } from '../state/atomic.js';
import { failureCodeOf, type PassRecord, type SnapshotFacts, type State } from '../state/run-state.js';
import { manifestOf, storeSnapshots } from '../store/catalog.js';
import { comparePaths, readManifest } from '../store/manifest.js';
import { bytePath, type ByteName } from '../store/names.js';
import { SourceStore } from '../store/snapshots.js';
import { sourceCoverageText } from '../verify/scrub.js';
import { sourcePresence } from '../sync/presence.js';
import { destinationsOf, maySee } from './people.js';
import { transferredNames } from '../sync/pull.js';
import { streamCatalogEntries } from './open.js';
import { CATALOG_VERSION, catalogLine, dataFile, type CatalogIndex, type PublishedSource, type RequestResult } from './format.js';

/** The page and its script, the JSON Schemas of a request and an index (packaging/catalog/), and the page's matching rule (match.ts). */
const SHIPPED = [
  ...['index.html', 'page.js', 'request.schema.json', 'index.schema.json'].map((name) => ({ name, url: new URL(`../../packaging/catalog/${name}`, SRC_DIR) })),
  { name: 'match.js', url: new URL('catalog/match.js', SRC_DIR) },
];

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
 * costs is its new snapshots. With the store unreadable (its disk gone, a pass that failed before it was mounted),
 * the snapshots stay as the last catalog had them and only the pass's outcome is new: the page never shows an old OK.
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

/** Each source's snapshots, with a data file written for each that has none yet and removed for each one gone. */
async function buildSources(ctx: Context, nodeDir: string, published: CatalogIndex | undefined, built: BuiltCatalog): Promise<PublishedSource[]> {
  const { config } = ctx;
  const state = ctx.state.read();
  const sources: PublishedSource[] = [];
  const comesAndGoes = sourcePresence(config, state, ctx.now());
  for (const source of config.sources) {
    const store = new SourceStore(config.storage.path, source.name);
    // What the last catalog measured stands while the snapshot before it is the same: only new ones are walked.
    const recorded = state.snapshots?.[source.name] ?? {};
    const measured = publishedFacts(published, source.name);
    const known = Object.fromEntries([...new Set([...Object.keys(recorded), ...Object.keys(measured)])].map((name) => [name, { ...recorded[name], ...measured[name] }]));
    const rows = storeSnapshots(store, known).describe();
    const folder = join(nodeDir, 'data', source.name);
    mkdirSync(folder, { recursive: true });
    for (const [at, row] of rows.entries()) {
      const data = dataFile(source.name, row.snapshot);
      built.files += row.files;
      if (existsSync(join(nodeDir, data))) continue;
      await writeSnapshotData(store, row.snapshot, join(nodeDir, data), linkedFrom(state, source.name, row.snapshot, rows[at - 1]?.snapshot, nodeDir));
      built.written++;
    }
    const kept = new Set(rows.map((row) => `${row.snapshot}.gz`));
    for (const name of readdirSync(folder)) if (!kept.has(name)) built.removed += remove(join(folder, name));
    const coverage = sourceCoverageText(state.scrub, source.name, config.verify.scrubDays, ctx.now());
    const presence = comesAndGoes.find((entry) => entry.source === source.name);
    sources.push({
      name: source.name,
      group: source.group,
      coverage,
      snapshots: rows.map((row) => ({ ...row, data: dataFile(source.name, row.snapshot) })),
      lastSaved: rows.find((row) => row.latest)?.time,
      ...(presence ? { presence: { away: presence.away, overdue: presence.overdue, text: presence.text } } : {}),
    });
  }
  // Sources no longer configured leave the catalog with their data.
  const configured = new Set(config.sources.map((source) => source.name));
  for (const name of readdirSync(join(nodeDir, 'data'))) if (!configured.has(name)) built.removed += remove(join(nodeDir, 'data', name));

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
  if (existsSync(folder)) for (const name of readdirSync(folder)) if (!people.includes(name)) remove(join(folder, name));
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
    return JSON.parse(readFileSync(path, 'utf8')) as CatalogIndex;
  } catch {
    return undefined; // none yet, or damaged: everything is measured again
  }
}

/** A published source's snapshots as the facts a pull records (sizes, and what they were counted against). */
function publishedFacts(index: CatalogIndex | undefined, source: string): Record<string, SnapshotFacts> {
  const rows = index?.sources.find((candidate) => candidate.name === source)?.snapshots ?? [];
  return Object.fromEntries(rows.map((row, at) => [row.snapshot, { files: row.files, bytes: row.bytes, newBytes: row.newBytes, newAfter: rows[at - 1]?.snapshot }]));
}

function remove(path: string): number {
  rmSync(path, { recursive: true, force: true });
  return 1;
}

/** The snapshot a new one was hard-linked from, with the files its pull wrote: every other file is that one's. */
interface LinkedFrom {
  data: string;
  written: Set<ByteName>;
}

/**
 * Tonight's snapshot, pulled against the one before it (its recorded newAfter) with the list of files the pull wrote
 * still in stateDir: the files not on that list are hard links, whose size and mtime the previous data file has.
 */
function linkedFrom(state: State, source: string, snapshot: string, previous: string | undefined, nodeDir: string): LinkedFrom | undefined {
  const pulled = state.sources?.[source];
  const facts = state.snapshots?.[source]?.[snapshot];
  if (!previous || pulled?.snapshot !== snapshot || facts?.newAfter !== previous || !existsSync(pulled.transferredList)) return undefined;
  const data = join(nodeDir, dataFile(source, previous));
  return existsSync(data) ? { data, written: new Set(transferredNames(pulled.transferredList)) } : undefined;
}

/**
 * One snapshot's files in walk order with size and mtime (the manifest has neither), gzipped: taken from the
 * previous snapshot's data for a file hard-linked from it, else a stat. A night costs the files it changed.
 */
async function writeSnapshotData(store: SourceStore, snapshot: string, path: string, linked: LinkedFrom | undefined): Promise<void> {
  const directory = store.path(snapshot);
  const file = new AtomicFile(path);
  const gzip = createGzip();
  gzip.on('data', (chunk: Buffer) => file.write(chunk));
  const before = linked ? streamCatalogEntries(dirname(linked.data), basename(linked.data)) : undefined;
  let earlier = await before?.next();
  try {
    let batch = '';
    for (const { name, hash } of readManifest(manifestOf(store, snapshot))) {
      while (earlier && !earlier.done && comparePaths(earlier.value.name, name) < 0) earlier = await before!.next();
      const same = earlier && !earlier.done && earlier.value.name === name && earlier.value.hash === hash && !linked!.written.has(name) ? earlier.value : undefined;
      const stats = same ?? statOf(bytePath(directory, name));
      batch += catalogLine({ name, hash, size: stats.size, mtime: stats.mtime });
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
  } finally {
    await before?.return(undefined);
  }
}

function statOf(path: Buffer): { size: number; mtime: number } {
  const stats = lstatSync(path);
  return { size: stats.size, mtime: Math.floor(stats.mtimeMs / 1000) };
}
