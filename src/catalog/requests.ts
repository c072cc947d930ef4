import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runRsync, classifyRsyncFailure } from '../adapters/rsync.js';
import { isRemoteLocation } from '../config/load.js';
import { namedSource } from '../config/sources.js';
import type { Context } from '../context.js';
import { OdbackupError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatBytes } from '../render.js';
import { restore, type RestoreRequest } from '../restore/restore.js';
import type { RequestResult } from '../state/run-state.js';
import { pathInSnapshot, shownName } from '../store/names.js';
import { joinLocation } from './publish.js';

/** A request file larger than this is refused unread: a request is a few lines. */
export const MAX_REQUEST_BYTES = 16 * 1024;
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const KNOWN_FIELDS = new Set(['source', 'path', 'version', 'destination', 'node', 'requestedBy']);

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
  if (unknown !== undefined) return `has an unknown field "${unknown.slice(0, 40)}"`;
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

/** Copies catalog.requests (only *.json) into stateDir: the node reads requests only from its own copy. */
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
      include: ['/*.json'],
      exclude: ['*'],
    },
    { signal: ctx.signal },
  );
  if (run.exitCode !== 0)
    throw new OdbackupError('catalogUnpublished', `the restore requests were not fetched from ${from}: ${classifyRsyncFailure(run).message}`, 'the next pass asks again');
  return inbox;
}

/**
 * Serves the restore requests waiting in catalog.requests, oldest first, at most catalog.maxRequests a pass: each
 * once (its id is recorded before the restore starts), with the proven restore, into a new folder named after it
 * in one of restore.destinations. A bad or failed request is answered with its reason and never fails the pass.
 */
export async function serveRequests(ctx: Context): Promise<ServedRequests> {
  const { config } = ctx;
  const inbox = await fetchRequests(ctx);
  const known = ctx.state.read().requests ?? [];
  // A request taken up by a pass that was cut off is not served again: it is answered, and can be asked anew.
  for (const cutOff of known.filter((request) => request.status === 'serving'))
    ctx.state.recordRequest(ctx.runId, { ...cutOff, status: 'failed', code: EXIT_CODES.interrupted.code, at: ctx.now().toISOString(), message: 'the pass serving it was cut off: save the request again under a new name' });
  const seen = new Set(known.map((request) => request.id));
  const waiting = readdirSync(inbox)
    .filter((file) => file.endsWith('.json') && !seen.has(file.slice(0, -5)))
    .map((file) => ({ file, mtime: statSync(join(inbox, file)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime || (a.file < b.file ? -1 : 1));
  const results: RequestResult[] = [];
  for (const { file } of waiting.slice(0, config.catalog.maxRequests)) {
    const result = await serveOne(ctx, inbox, file);
    if (result) results.push(result);
  }
  return { results, waiting: Math.max(0, waiting.length - config.catalog.maxRequests) };
}

async function serveOne(ctx: Context, inbox: string, file: string): Promise<RequestResult | undefined> {
  const { config } = ctx;
  const id = file.slice(0, -5);
  const at = () => ctx.now().toISOString();
  const answer = (result: Omit<RequestResult, 'id' | 'at'>): RequestResult => {
    const full = { id, at: at(), ...result };
    ctx.state.recordRequest(ctx.runId, full);
    ctx.log[result.status === 'done' ? 'info' : 'warn'](`request ${id}: ${result.message}`);
    return full;
  };
  const refuse = (message: string) => answer({ status: 'failed', code: EXIT_CODES.usage.code, message });
  if (!REQUEST_ID.test(id)) return refuse('refused: a request is named with letters, digits, ".", "_" and "-" (at most 64) and ".json"');
  const path = join(inbox, file);
  if (statSync(path).size > MAX_REQUEST_BYTES) return refuse(`refused: the file is larger than ${MAX_REQUEST_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return refuse(`refused: not JSON (${(error as Error).message.replace(/\s+/g, ' ')})`);
  }
  const problem = requestProblem(parsed);
  if (problem) return refuse(`refused: the request ${problem}`);
  const request = parsed as RequestFile;
  // Another node's request: left for it, not answered here.
  if (request.node && request.node !== config.node) return undefined;
  const asked = { source: request.source, path: request.path, destination: request.destination };
  const destination = config.restore.destinations[request.destination];
  if (!destination) return answer({ ...asked, status: 'failed', code: EXIT_CODES.usage.code, message: `refused: no destination named "${request.destination}" on ${config.node}` });
  const to = joinLocation(destination, id);
  ctx.state.recordRequest(ctx.runId, { id, at: at(), ...asked, status: 'serving', message: `restoring to ${request.destination}` });
  try {
    const source = namedSource(config.sources, request.source);
    // "." asks for the whole source (Jocinta's reflashed laptop).
    const path = request.path === '.' ? undefined : pathInSnapshot(request.path);
    const restoreRequest: RestoreRequest = { source, path, to, merge: false, ...versionChoice(request.version) };
    if (!isRemoteLocation(to) && existsSync(to)) throw new OdbackupError('usage', `${request.destination} already holds a folder ${id}: nothing is merged into it`);
    const outcome = await restore({ ctx, request: restoreRequest, dryRun: false, maxBytes: config.catalog.maxRequestGiB * 2 ** 30 });
    const what = path === undefined ? 'all' : shownName(path);
    return answer({
      ...asked,
      status: 'done',
      snapshot: outcome.snapshot,
      files: outcome.files,
      bytes: outcome.bytes,
      message: `restored ${outcome.files} file${outcome.files === 1 ? '' : 's'} (${formatBytes(outcome.bytes)}) of ${source.name} ${outcome.snapshot} (${what}) to ${request.destination}/${id}, every one equal to its manifest`,
    });
  } catch (error) {
    if (!(error instanceof OdbackupError)) throw error;
    return answer({ ...asked, status: 'failed', code: EXIT_CODES[error.codeName].code, message: error.message });
  }
}
