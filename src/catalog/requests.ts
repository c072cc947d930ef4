import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runRsync, classifyRsyncFailure } from '../adapters/rsync.js';
import { isRemoteLocation } from '../config/load.js';
import { namedSource } from '../config/sources.js';
import type { Context } from '../context.js';
import { OdbackupError } from '../errors.js';
import { EXIT_CODES, type ExitCodeName } from '../exit-codes.js';
import { jsonStructureProblems, parseJsonText } from '../config/json-text.js';
import { destinationEntries } from '../restore/destination.js';
import { formatBytes } from '../render.js';
import { counted } from '../words.js';
import { restore, type RestoreRequest } from '../restore/restore.js';
import type { RequestResult } from '../state/run-state.js';
import { pathInSnapshot, shownName } from '../store/names.js';
import { maySee, maySendTo, hasPeople } from './people.js';
import { joinLocation } from './publish.js';
import { readUntrustedFile, utf8Text } from './untrusted.js';

/** A request file larger than this is refused unread: a request is a few lines. */
export const MAX_REQUEST_BYTES = 16 * 1024;
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const KNOWN_FIELDS = new Set(['source', 'path', 'version', 'destination', 'node', 'requestedBy']);
/** A key that may be named in a refusal: anything else a file holds is described, never quoted. */
const FIELD = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

/** A request file as packaging/catalog/request.schema.json describes it. */
export interface RequestFile {
  source: string;
  path: string;
  version?: number | string;
  destination: string;
  node?: string;
  requestedBy?: string;
}

/** The request's fields, or why it is refused: the same rules as its JSON Schema, in one pass over a flat object. */
export function requestProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'is not a JSON object';
  const request = value as Record<string, unknown>;
  const unknown = Object.keys(request).find((key) => !KNOWN_FIELDS.has(key));
  if (unknown !== undefined) return FIELD.test(unknown) ? `has an unknown field "${unknown}"` : 'has an unknown field';
  for (const field of ['source', 'path', 'destination'] as const)
    if (typeof request[field] !== 'string' || request[field] === '') return `needs "${field}" (a string)`;
  for (const field of ['source', 'destination', 'node'] as const)
    if (request[field] !== undefined && (typeof request[field] !== 'string' || !NAME.test(request[field]))) return `"${field}" is not a name`;
  if ((request.path as string).length > 4096) return '"path" is longer than 4096 characters';
  const version = request.version;
  const versionOk =
    version === undefined ||
    (typeof version === 'number' && Number.isSafeInteger(version) && version >= 1) ||
    (typeof version === 'string' && /^([0-9a-fA-F]{16}|\d{4}-\d{2}-\d{2}(T\d{6}Z)?|latest)$/.test(version));
  if (!versionOk) return '"version" is not a version number, an XXH64, a snapshot, a day or latest';
  if (request.requestedBy !== undefined && (typeof request.requestedBy !== 'string' || request.requestedBy.length > 200)) return '"requestedBy" is not a short string';
  return undefined;
}

/** Which snapshot or version a request's "version" picks, as `restore` takes it. */
function versionChoice(version: RequestFile['version']): Pick<RestoreRequest, 'version' | 'hash' | 'at'> {
  if (typeof version === 'number') return { version };
  if (version && /^[0-9a-fA-F]{16}$/.test(version)) return { hash: version.toLowerCase() };
  return { at: version };
}

export interface ServedRequests {
  results: RequestResult[];
  /** Requests left for the next pass (more than catalog.maxRequests were waiting). */
  waiting: number;
}

/**
 * Copies catalog.requests (only *.json; with people, only those in a configured person's folder) into stateDir: the
 * node reads requests only from its own copy.
 */
async function fetchRequests(ctx: Context): Promise<string> {
  const { config } = ctx;
  const from = config.catalog.requests!;
  const inbox = join(config.stateDir, 'requests');
  mkdirSync(inbox, { recursive: true });
  const run = await runRsync(
    config.system.programs.rsync,
    {
      from,
      to: inbox,
      ssh: isRemoteLocation(from) ? config.catalog.requestsSsh : undefined,
      timeout: 60,
      include: hasPeople(config) ? Object.keys(config.people).flatMap((person) => [`/${person}/`, `/${person}/*.json`]) : ['/*.json'],
      exclude: ['*'],
    },
    { signal: ctx.signal },
  );
  if (run.exitCode !== 0)
    throw new OdbackupError('catalogUnpublished', `the restore requests were not fetched from ${from}: ${classifyRsyncFailure(run).message}`, 'the next pass asks again');
  return inbox;
}

/** A request waiting in the node's copy of catalog.requests: `name.json`, or `person/name.json` with people. */
interface Waiting {
  /** `name`, or `person/name`: what the state and the page call it. */
  id: string;
  path: string;
  /** Who asked: the folder it was found in (never a field of the request). */
  person?: string;
  fingerprint: string;
  mtime: number;
}

/** The folder a request is served into in its destination: its file's name. */
const folderOf = (id: string) => id.slice(id.lastIndexOf('/') + 1);

/** The *.json files in the inbox, and with people, in each configured person's own folder (a link is not a folder). */
function waitingFiles(ctx: Context, inbox: string): Waiting[] {
  const json = (folder: string, person?: string) =>
    readdirSync(folder)
      .filter((file) => file.endsWith('.json'))
      .map((file) => ({ id: `${person ? `${person}/` : ''}${file.slice(0, -5)}`, path: join(folder, file), person, ...fingerprintOf(join(folder, file)) }));
  if (!hasPeople(ctx.config)) return json(inbox);
  return Object.keys(ctx.config.people).flatMap((person) => {
    const folder = join(inbox, person);
    return existsSync(folder) && lstatSync(folder).isDirectory() ? json(folder, person) : [];
  });
}

/** The size and mtime of a request file: the same name saved anew is another request. */
function fingerprintOf(path: string): { fingerprint: string; mtime: number } {
  const stats = lstatSync(path);
  return { fingerprint: `${stats.size}:${Math.trunc(stats.mtimeMs)}`, mtime: stats.mtimeMs };
}

/**
 * What a request cut off by kill -9 or a power cut left in a local destination: its staging folder, and the folder
 * named after it when nothing else is in it. A remote destination has only rsync's own staging.
 */
function clearCutOff(ctx: Context, request: RequestResult): void {
  const destination = request.destination && ctx.config.restore.destinations[request.destination];
  if (!destination || isRemoteLocation(destination)) return;
  const folder = join(destination, folderOf(request.id));
  if (existsSync(folder) && destinationEntries(folder).length === 0) rmSync(folder, { recursive: true, force: true });
}

/**
 * Serves the restore requests waiting in catalog.requests, oldest first, at most catalog.maxRequests restores a pass
 * (a refused request costs none): each once (its id is recorded before the restore starts), with the proven restore,
 * into a new folder named after it in one of restore.destinations. A bad or failed request is answered with its
 * reason and never fails the pass.
 */
export async function serveRequests(ctx: Context): Promise<ServedRequests> {
  const { config } = ctx;
  const inbox = await fetchRequests(ctx);
  const known = new Map((ctx.state.read().requests ?? []).map((request) => [request.id, request]));
  // A request taken up by a pass that was cut off is not served again: it is answered, and can be asked anew.
  for (const cutOff of [...known.values()].filter((request) => request.status === 'serving')) {
    clearCutOff(ctx, cutOff);
    const answer = { ...cutOff, status: 'failed', code: EXIT_CODES.restoreFailed.code, at: ctx.now().toISOString(), message: 'the pass serving it was cut off; nothing was put in place: save the request again under a new name' } as const;
    ctx.state.recordRequest(ctx.runId, answer);
    known.set(cutOff.id, answer);
  }
  const waiting = waitingFiles(ctx, inbox)
    // Answered already: the same file (a record without a fingerprint is from before they were kept).
    .filter(({ id, fingerprint }) => {
      const earlier = known.get(id);
      return !earlier || (earlier.fingerprint !== undefined && earlier.fingerprint !== fingerprint);
    })
    .sort((a, b) => a.mtime - b.mtime || (a.id < b.id ? -1 : 1));
  const results: RequestResult[] = [];
  let restores = 0;
  let left = 0;
  for (const file of waiting) {
    if (restores >= config.catalog.maxRequests) {
      left++;
      continue;
    }
    const served = await serveOne(ctx, file, known.get(file.id));
    if (!served) continue;
    if (served.restored) restores++;
    results.push(served.result);
  }
  return { results, waiting: left };
}

/** A request file's fields, or why it is refused, in words that quote nothing of the file. */
function readRequest(path: string): RequestFile | string {
  const read = readUntrustedFile(path, MAX_REQUEST_BYTES);
  if ('problem' in read) return `the file ${read.problem}`;
  const text = utf8Text(read.bytes);
  if (text === undefined) return 'the file is not UTF-8 text';
  const parsed = parseJsonText(text);
  if (!('value' in parsed)) return `not JSON${parsed.where ? ` (at ${parsed.where})` : ''}`;
  const structure = jsonStructureProblems(text, 4)[0];
  if (structure) return `the request ${structure.path && FIELD.test(structure.path) ? `"${structure.path}" ` : ''}${structure.message}`;
  const problem = requestProblem(parsed.value);
  return problem ? `the request ${problem}` : (parsed.value as RequestFile);
}

async function serveOne(ctx: Context, { id, path: file, person, fingerprint }: Waiting, earlier: RequestResult | undefined): Promise<{ result: RequestResult; restored: boolean } | undefined> {
  const { config } = ctx;
  const name = folderOf(id);
  const at = () => ctx.now().toISOString();
  const answer = (result: Omit<RequestResult, 'id' | 'at' | 'fingerprint' | 'person'>): RequestResult => {
    const full = { id, at: at(), fingerprint, ...(person ? { person } : {}), ...result };
    ctx.state.recordRequest(ctx.runId, full);
    ctx.log[result.status === 'done' ? 'info' : 'warn'](`request ${id}: ${result.message}`);
    return full;
  };
  const refuse = (message: string, code: ExitCodeName = 'usage', asked = {}) => ({ result: answer({ ...asked, status: 'failed', code: EXIT_CODES[code].code, message: `refused: ${message}` }), restored: false });
  if (!REQUEST_ID.test(name)) return refuse('a request is named with letters, digits, ".", "_" and "-" (at most 64) and ".json"');
  if (earlier) return refuse(`the name ${name} was used by a request answered on ${earlier.at.slice(0, 10)} (${earlier.status}): save it under a new name`);
  const request = readRequest(file);
  if (typeof request === 'string') return refuse(request);
  // Another node's request: left for it, not answered here.
  if (request.node && request.node !== config.node) return undefined;
  const asked = { source: request.source, path: request.path, destination: request.destination };
  if (!config.sources.some((source) => source.name === request.source)) return refuse(`no source named "${request.source}" on ${config.node}`, 'usage', asked);
  const destination = config.restore.destinations[request.destination];
  if (!destination) return refuse(`no destination named "${request.destination}" on ${config.node}`, 'usage', asked);
  // Who asked is the folder the request was in: only that person can write there on the web server.
  if (person && !maySee(config, person, request.source)) return refuse(`${person} may not ask for the files of ${request.source}; nothing was written`, 'usage', asked);
  if (person && !maySendTo(config, person, request.destination)) return refuse(`${request.destination} is not ${person}'s destination; nothing was written`, 'usage', asked);
  // A destination that is not there (an unmounted share) is never created: it would fill the node's own disk.
  if (!isRemoteLocation(destination) && !isDirectory(destination))
    return refuse(`the destination ${request.destination} (${destination}) is not there: is its share mounted? nothing was written`, 'restoreFailed', asked);
  const to = joinLocation(destination, name);
  if (!isRemoteLocation(to) && existsSync(to)) return refuse(`${request.destination} already holds a folder ${name}: nothing is merged into it`, 'usage', asked);
  ctx.state.recordRequest(ctx.runId, { id, at: at(), fingerprint, ...(person ? { person } : {}), ...asked, status: 'serving', message: `restoring to ${request.destination}` });
  try {
    const source = namedSource(config.sources, request.source);
    // "." asks for the whole source (Jocinta's reflashed laptop).
    const path = request.path === '.' ? undefined : pathInSnapshot(request.path);
    const restoreRequest: RestoreRequest = { source, path, to, merge: false, ...versionChoice(request.version) };
    const outcome = await restore({ ctx, request: restoreRequest, dryRun: false, maxBytes: config.catalog.maxRequestGiB * 2 ** 30 });
    const what = path === undefined ? 'all' : shownName(path);
    const result = answer({
      ...asked,
      status: 'done',
      snapshot: outcome.snapshot,
      files: outcome.files,
      bytes: outcome.bytes,
      message: `restored ${counted(outcome.files, 'file')} (${formatBytes(outcome.bytes)}) of ${source.name} ${outcome.snapshot} (${what}) to ${request.destination}/${name}, every one equal to its manifest`,
    });
    return { result, restored: true };
  } catch (error) {
    if (!(error instanceof OdbackupError)) throw error;
    return { result: answer({ ...asked, status: 'failed', code: EXIT_CODES[error.codeName].code, message: error.message }), restored: true };
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
