import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { exampleConfig } from '../src/config/example.js';
import { ConfigError, configFromDocument, loadConfig } from '../src/config/load.js';
import { expandPattern } from '../src/config/patterns.js';
import type { Config } from '../src/config/types.js';
import { scheduledWake } from '../src/power/schedule.js';
import { odbackup, removeDir, tempDir } from './helpers.js';

const dir = tempDir();
after(() => removeDir(dir));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const example = JSON.parse(JSON.stringify(exampleConfig)) as Json;

/** Every path into the example document: where a mutation can strike. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, index) => paths(item, [...prefix, index]))];
  if (value && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([key, item]) => paths(item, [...prefix, key]))];
  return [prefix];
}
const allPaths = paths(example).filter((path) => path.length > 0);

/** The document with the value at `path` replaced (or removed when `value` is undefined). */
function mutate(document: Json, path: (string | number)[], value: Json | undefined): Json {
  const copy = JSON.parse(JSON.stringify(document)) as Json;
  let node = copy as Record<string | number, Json>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, Json>;
  const last = path.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** A configuration that passed the check must not crash what runs on it later (the schedule, the expect patterns). */
function usable(config: Config): void {
  scheduledWake(config, new Date('2026-11-25T12:00:00Z'));
  for (const source of config.sources) for (const pattern of source.expect) expandPattern(pattern, new Date('2026-11-25T12:00:00Z'));
}

/** Accepted and usable, or refused as a configuration problem (exit 2) naming where: never anything else (exit 1). */
function judge(document: unknown): void {
  try {
    usable(configFromDocument(document, join(dir, 'odbackup.json')));
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a configuration error: ${(error as Error).stack}`);
    assert.equal(error.codeName, 'usage');
    for (const problem of error.problems) assert.equal(typeof problem.path, 'string');
  }
}

const junk: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue() as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, '', 'x', 0, -1, 1e9, 3000, true, [], {}, [null], [42], ['x'], { a: 1 }, '{%d@funday}', 'db_{%Q}.gz', '%Y-%m-%d'),
);

test('a few hundred mutated configurations: each is accepted and usable, or refused with exit 2 and a path; never a crash', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...allPaths), fc.option(junk, { nil: undefined })), { minLength: 1, maxLength: 3 }),
      (mutations) => {
        let document = example;
        for (const [path, value] of mutations) {
          try {
            document = mutate(document, path, value);
          } catch {
            // an earlier mutation removed the parent of this path
          }
        }
        judge(document);
      },
    ),
    { numRuns: 400, seed: 20261125 },
  );
});

test('truncated and junk files: refused with exit 2 and a line and column, never a crash', () => {
  const text = JSON.stringify(exampleConfig, null, 2);
  const file = join(dir, 'cut.json');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: text.length - 1 }), (cut) => {
      writeFileSync(file, text.slice(0, cut));
      assert.throws(() => loadConfig(file), (error: unknown) => error instanceof ConfigError && error.codeName === 'usage');
    }),
    { numRuns: 100, seed: 7 },
  );
});

test('config check as a user meets it: wrong shapes, an impossible margin, a bad expect pattern, duplicate keys, a BOM', () => {
  const check = (document: string) => {
    const file = join(dir, `check-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, document);
    return odbackup(['--config', file, 'config', 'check']);
  };
  const withSource = (source: object, extra: object = {}) =>
    JSON.stringify({ node: 'n', storage: { path: join(dir, 'store') }, sources: [{ name: 'db', group: 'databases', ...source }], ...extra });
  for (const repositories of ['"x"', '5', '[null]', '[42]']) {
    const result = check(withSource({ repositories: JSON.parse(repositories) }));
    assert.equal(result.status, 2, `repositories: ${repositories}: ${result.stderr}`);
    assert.match(result.stderr, /at sources\[0\]\.repositories/);
  }
  const margin = check(withSource({ from: '/srv' }, { schedule: { minMarginMinutes: 3000 } }));
  assert.equal(margin.status, 2);
  assert.match(margin.stderr, /at schedule\.minMarginMinutes: must be <= 720/);
  const pattern = check(withSource({ from: '/srv', expect: ['db_{%d@funday}.gz', 'dump-%Y-%m-%d.sql'] }));
  assert.equal(pattern.status, 2);
  assert.match(pattern.stderr, /at sources\[0\]\.expect\[0\]: unknown date modifier @funday/);
  assert.match(pattern.stderr, /at sources\[0\]\.expect\[1\]: a date directive outside braces/);
  const twice = check('{"node": "n", "node": "m", "storage": {"path": "/s"}, "sources": [{"name": "a", "group": "g", "from": "/a", "group": "h"}]}');
  assert.equal(twice.status, 2);
  assert.match(twice.stderr, /at node: is given twice in the same object/);
  assert.match(twice.stderr, /at sources\[0\]\.group: is given twice/);
  const bom = check(`\uFEFF${withSource({ from: '/srv' })}`);
  assert.equal(bom.status, 0, bom.stderr);
  const nonObject = check(JSON.stringify({ node: 'n', storage: { path: '/s' }, sources: [5, { name: 'a', group: 'g', from: '/a' }, { name: 'a', group: 'g', from: '/b' }] }));
  assert.equal(nonObject.status, 2);
  assert.match(nonObject.stderr, /at sources\[0\]: must be object/);
});

test('documents nested past any setting (found by fuzzing): exit 2 naming where, from config check and cycle --dry-run alike', () => {
  const base = { node: 'n', storage: { path: join(dir, 'store') }, sources: [{ name: 'db', group: 'databases', from: '/srv' }] };
  const nested = (open: string, close: string, depth: number, inner = '') => open.repeat(depth) + inner + close.repeat(depth);
  const around = (key: string, value: string) => JSON.stringify(base).replace(/}$/, `,${JSON.stringify(key)}:${value}}`);
  const cases: [string, string, RegExp][] = [
    ['an unknown key holding 100,000 arrays', around('junk', nested('[', ']', 100_000)), /at junk(\[0\])+: nests objects and arrays more than 16 levels deep/],
    ['sources[0] as 100,000 arrays', JSON.stringify(base).replace('[{"name"', `[${nested('[', ']', 100_000)},{"name"`), /at sources\[0\](\[0\])+: nests/],
    ['an object 50,000 deep under check', around('check', nested('{"a":', '}', 50_000, '1')), /at check(\.a)+: nests/],
    ['the whole document 1,000,000 arrays deep', nested('[', ']', 1_000_000), /at (\[0\])+: nests/],
  ];
  for (const [what, text, where] of cases) {
    const file = join(dir, 'deep.json');
    writeFileSync(file, text);
    for (const command of [['config', 'check'], ['cycle', '--dry-run']]) {
      const result = odbackup(['--config', file, ...command]);
      assert.equal(result.status, 2, `${what}, ${command.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, where, `${what}, ${command.join(' ')}`);
      assert.doesNotMatch(result.stderr, /Maximum call stack|internal error/);
    }
  }
});

test('a duplicate source name after a source that is not an object is reported at its own index', () => {
  const file = join(dir, 'duplicate.json');
  const sources = [{ name: 'a', group: 'g', from: '/a' }, { name: 'b', group: 'g', from: '/b' }, { name: 'b', group: 'g', from: '/c' }];
  writeFileSync(file, JSON.stringify({ node: 'n', storage: { path: join(dir, 'store') }, sources }));
  const named = odbackup(['--config', file, 'config', 'check']);
  assert.equal(named.status, 2);
  assert.match(named.stderr, /at sources\[2\]\.name: "b" is already the name of sources\[1\]/);
  writeFileSync(file, JSON.stringify({ node: 'n', storage: { path: join(dir, 'store') }, sources: ['a', ...sources.slice(1)] }).replace('"group":"g","from":"/c"', '"group":"g","group":"g","from":"/c"'));
  const keyed = odbackup(['--config', file, 'config', 'check']);
  assert.equal(keyed.status, 2);
  assert.match(keyed.stderr, /at sources\[2\]\.group: is given twice in the same object/);
});
