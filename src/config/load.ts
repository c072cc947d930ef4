import { readFileSync } from 'node:fs';
import { counted } from '../words.js';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validate as generatedValidator } from './validate.generated.js';
import { jsonStructureProblems, parseJsonText, withoutBom, type JsonProblem } from './json-text.js';
import { patternProblem } from './patterns.js';
import { mirrorName } from './sources.js';
import { OdbackupError } from '../errors.js';
import type { Config, Source, SshOptions } from './types.js';

export const DEFAULT_CONFIG_PATH = '/etc/odbackup/odbackup.json';

/** Where in the file (`sources[1].name`; empty for the whole document), what is wrong, and what to do. */
export type ConfigProblem = JsonProblem;

export class ConfigError extends OdbackupError {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super('usage', `${file}: ${counted(problems.length, 'problem')} in the configuration`, undefined, problems.map(formatProblem));
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.path === '' ? 'at the top level' : `at ${problem.path}`;
  return `${where}: ${problem.message}${problem.hint ? ` (${problem.hint})` : ''}`;
}

/** --config, then ODBACKUP_CONFIG, then the system default. */
export function configPathFrom(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(option ?? env.ODBACKUP_CONFIG ?? DEFAULT_CONFIG_PATH);
}

/** Reads, validates (all problems at once) and resolves a configuration file. Throws ConfigError (exit 2). */
export function loadConfig(file: string): Config {
  return configFromDocument(readConfigDocument(file), file);
}

/** The configuration file's document as written: no defaults filled in, nothing resolved (ConfigError when not JSON). */
export function readConfigDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new OdbackupError('usage', `cannot read the configuration ${file}: ${reason}`, 'write one with `odbackup config example`');
  }
  const json = withoutBom(text);
  const structure = structureProblems(json);
  if (structure.length > 0) throw new ConfigError(file, structure);
  return parseJson(file, json);
}

/** Deeper than any setting lies (heartbeat.monitors[0].url is 4): nothing past it can mean anything. */
export const MAX_CONFIG_DEPTH = 16;

function structureProblems(text: string): ConfigProblem[] {
  return jsonStructureProblems(text, MAX_CONFIG_DEPTH).map((problem) =>
    problem.message.startsWith('nests') ? { ...problem, hint: 'no setting lies deeper than 4 levels: is this the right file?' } : problem,
  );
}

/**
 * Duplicate source names and unreadable `expect` patterns, over the sources that have the shape to be read (a
 * malformed one is the schema's problem): said with the schema's problems rather than after they are fixed.
 */
function sourceProblems(document: unknown): ConfigProblem[] {
  const sources = (document as { sources?: unknown })?.sources;
  if (!Array.isArray(sources)) return [];
  const problems: ConfigProblem[] = [];
  const names = new Map<string, number>();
  sources.forEach((source: unknown, index) => {
    if (!source || typeof source !== 'object') return;
    const { name, expect } = source as { name?: unknown; expect?: unknown };
    if (typeof name === 'string') {
      const first = names.get(name);
      if (first !== undefined) problems.push({ path: `sources[${index}].name`, message: `"${name}" is already the name of sources[${first}]`, hint: 'source names must be unique' });
      else names.set(name, index);
    }
    if (Array.isArray(expect))
      expect.forEach((pattern: unknown, patternIndex) => {
        const problem = typeof pattern === 'string' ? patternProblem(pattern) : undefined;
        if (problem) problems.push({ path: `sources[${index}].expect[${patternIndex}]`, message: problem, hint: 'for example "dump_{%Y-%m-%d}.sql.gz" or "db_{%d@-1}.gz"' });
      });
  });
  return problems;
}

/** Validates a parsed document (defaults filled in) and resolves it relative to `file`. */
export function configFromDocument(document: unknown, file: string): Config {
  const base = dirname(file);
  // The schema fills in its defaults: on a copy, so that the checks across fields still see what was written.
  const filled = structuredClone(document);
  const shapes = schemaProblems(filled);
  // The checks across fields rely on the shapes the schema guarantees: they run whole only on a document that has
  // them. Those that look at one source at a time run on every well-formed source anyway: every problem at once.
  const problems = shapes.length > 0 ? [...shapes, ...sourceProblems(document)] : crossFieldProblems(filled as RawConfig, document as RawConfig, base);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return resolveConfig(filled as RawConfig, base);
}

function parseJson(file: string, text: string): unknown {
  const parsed = parseJsonText(text);
  if ('value' in parsed) return parsed.value;
  throw new ConfigError(file, [{ path: '', message: `invalid JSON${parsed.where ? ` at ${parsed.where}` : ''}: ${parsed.reason}` }]);
}

/** How the schema is compiled (`npm run docs` writes the compiled validator, validate.generated.ts). useDefaults fills
 * every `default` of the schema in place, so defaults live only in the schema. */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: true, verbose: true } as const;
const validate = generatedValidator as unknown as ValidateFunction;

function schemaProblems(document: unknown): ConfigProblem[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).filter((error) => error.keyword !== 'if').map(problemOf);
}

/** `/sources/1/name` → `sources[1].name` */
export function jsonPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function join(path: string, property: string): string {
  return path ? `${path}.${property}` : property;
}

function problemOf(error: ErrorObject): ConfigProblem {
  const path = jsonPath(error.instancePath);
  const schema = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  switch (error.keyword) {
    case 'required': {
      const property = (error.params as { missingProperty: string }).missingProperty;
      const wanted = schema?.properties?.[property] as { examples?: unknown[] } | undefined;
      return { path: join(path, property), message: 'is required', hint: exampleHint(wanted) };
    }
    case 'additionalProperties': {
      const property = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(schema?.properties ?? {});
      const near = nearest(property, known);
      return {
        path: join(path, property),
        message: 'is not a known property',
        hint: near ? `did you mean "${near}"?` : `known here: ${known.join(', ')}`,
      };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return { path, message: `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}` };
    }
    case 'pattern': {
      // A regular expression is no answer for a person: the patterns people meet say what they are.
      const words = PATTERN_WORDS[(error.params as { pattern: string }).pattern];
      const property = error.parentSchema as { examples?: unknown[] } | undefined;
      return { path, message: words ? `must be ${words}` : (error.message ?? error.keyword), hint: exampleHint(property) };
    }
    default: {
      const property = error.parentSchema as { examples?: unknown[] } | undefined;
      return { path, message: error.message ?? error.keyword, hint: exampleHint(property) };
    }
  }
}

/** The schema's patterns in words. */
const PATTERN_WORDS: Record<string, string> = {
  '^([01][0-9]|2[0-3]):[0-5][0-9]$': 'a time of day as HH:MM (two digits each, 00:00 to 23:59)',
  '^[a-z0-9][a-z0-9._-]*$': 'a name of lower-case letters, digits, ".", "_" and "-", starting with a letter or digit',
};

function exampleHint(schema: { examples?: unknown[] } | undefined): string | undefined {
  const example = schema?.examples?.[0];
  return example === undefined ? undefined : `for example ${JSON.stringify(example)}`;
}

function nearest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** `[user@]host:path`, the form rsync itself treats as remote (a colon before the first slash). */
export function isRemoteLocation(location: string): boolean {
  return /^([^@/:]+@)?[^/:]+:/.test(location);
}

type RawSource = Omit<Source, 'kind' | 'from' | 'ssh' | 'repositories'> & { from?: string; repositories?: string[]; ssh?: SshOptions };
type RawConfig = Omit<Config, 'sources'> & { sources: RawSource[] };

/** Checks that need more than one field, on a document whose shapes the schema has checked (defaults filled in). */
function crossFieldProblems(raw: RawConfig, written: RawConfig, base: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const sources = raw.sources;
  if (raw.check.warnTemperatureC > raw.check.maxTemperatureC) {
    problems.push({
      path: 'check.warnTemperatureC',
      message: `is above check.maxTemperatureC (${raw.check.maxTemperatureC})`,
      hint: 'the warning comes before the stop',
    });
  }
  for (const [person, grants] of Object.entries(raw.people)) {
    grants.sources.forEach((name, index) => {
      if (!sources.some((source) => source.name === name))
        problems.push({ path: `people.${person}.sources[${index}]`, message: `"${name}" is not a configured source`, hint: `sources: ${sources.map((source) => source.name).join(', ')}` });
    });
    grants.destinations.forEach((name, index) => {
      if (!(name in raw.restore.destinations))
        problems.push({ path: `people.${person}.destinations[${index}]`, message: `"${name}" is not one of restore.destinations`, hint: `destinations: ${Object.keys(raw.restore.destinations).join(', ') || 'none'}` });
    });
  }
  problems.push(...sourceProblems(written));
  const groups = new Set(sources.map((source) => source.group));
  const storagePath = resolve(base, raw.storage.path);
  sources.forEach((source, index) => {
    const at = `sources[${index}]`;
    if (groups.has(source.name) && source.group !== source.name) {
      problems.push({
        path: `${at}.name`,
        message: `"${source.name}" is also a group name`,
        hint: '`odbackup sync <name>` would be ambiguous; rename the source or the group',
      });
    }
    const hasFrom = typeof source.from === 'string';
    if (hasFrom === (source.repositories !== undefined)) {
      problems.push({
        path: at,
        message: 'needs exactly one of "from" and "repositories"',
        hint: 'from: a directory or user@host:/path; repositories: git URLs',
      });
    }
    const mirrors = (source.repositories ?? []).map(mirrorName);
    const clash = mirrors.find((name, i) => mirrors.indexOf(name) !== i);
    if (clash)
      problems.push({ path: `${at}.repositories`, message: `two repositories would both be mirrored as ${clash}`, hint: 'put them in separate sources' });
    const remote = hasFrom && isRemoteLocation(source.from!);
    if (source.overdueDays !== undefined && !remote)
      problems.push({ path: `${at}.overdueDays`, message: 'needs a "from" of the form user@host:/path', hint: 'a machine that comes and goes is reached over ssh: its presence is its ssh server answering' });
    (source.times ?? []).forEach((time, timeIndex) => {
      if (!raw.schedule.times.includes(time))
        problems.push({ path: `${at}.times[${timeIndex}]`, message: `"${time}" is not one of schedule.times (${raw.schedule.times.join(', ')})`, hint: 'a source is pulled at some of the wakes the schedule has' });
    });
    if (written.sources[index]!.ssh !== undefined && !remote) {
      problems.push({ path: `${at}.ssh`, message: 'applies only to a "from" of the form user@host:/path', hint: 'is "from" mistyped?' });
    }
    if (hasFrom && !remote && storagePath && overlaps(resolve(base, source.from!), storagePath)) {
      problems.push({ path: `${at}.from`, message: `overlaps the store ${storagePath}`, hint: 'a source must not contain the store, nor lie inside it' });
    }
  });
  return problems;
}

/** child is parent or lies below it (absolute paths, compared as written). */
export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function overlaps(a: string, b: string): boolean {
  return isInside(a, b) || isInside(b, a);
}

/** Makes every path absolute (relative to the config file) and gives each source its kind. */
function resolveConfig(raw: RawConfig, base: string): Config {
  const path = (value: string) => resolve(base, value);
  const location = (value: string) => (isRemoteLocation(value) ? value : path(value));
  const resolveSsh = (ssh: SshOptions): SshOptions => ({
    ...ssh,
    identityFile: ssh.identityFile && path(ssh.identityFile),
    knownHostsFile: ssh.knownHostsFile && path(ssh.knownHostsFile),
  });
  const sources = raw.sources.map(({ from, repositories, ssh, ...source }): Source => {
    const common = { ...source, integrity: { ...source.integrity, publicKey: source.integrity.publicKey && path(source.integrity.publicKey) } };
    if (repositories) return { ...common, kind: 'git', repositories };
    if (!isRemoteLocation(from!)) return { ...common, kind: 'rsync', from: path(from!) };
    return { ...common, kind: 'rsync', from: from!, ssh: resolveSsh(ssh!) };
  });
  // A program given with a directory is a path relative to the file; a bare name is looked up in PATH.
  const programs = Object.fromEntries(
    Object.entries(raw.system.programs).map(([name, file]) => [name, file.includes('/') ? path(file) : file]),
  ) as Config['system']['programs'];
  return {
    ...raw,
    stateDir: path(raw.stateDir),
    storage: { ...raw.storage, path: path(raw.storage.path) },
    sources,
    system: { root: path(raw.system.root), programs },
    display: { ...raw.display, preview: raw.display.preview && path(raw.display.preview) },
    restore: {
      ssh: resolveSsh(raw.restore.ssh),
      destinations: Object.fromEntries(Object.entries(raw.restore.destinations).map(([name, to]) => [name, location(to)])),
    },
    catalog: {
      ...raw.catalog,
      to: raw.catalog.to && location(raw.catalog.to),
      requests: raw.catalog.requests && location(raw.catalog.requests),
      ssh: resolveSsh(raw.catalog.ssh),
      requestsSsh: resolveSsh(raw.catalog.requestsSsh),
    },
  };
}
