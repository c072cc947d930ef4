import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { odbackup, removeDir, ROOT, tempDir, writeConfig } from './helpers.js';

const dir = tempDir();
after(() => removeDir(dir));

const valid = {
  node: 'node-1',
  stateDir: 'state',
  storage: { path: 'store' },
  sources: [{ name: 'db', group: 'databases', from: '/srv/dumps' }],
};

/** Each malformed configuration and the line `config check` must print for it. */
const MALFORMED: { name: string; config: unknown; line: RegExp }[] = [
  { name: 'wrong type', config: { ...valid, storage: { path: 42 } }, line: /^ {2}at storage\.path: must be string/m },
  {
    name: 'unknown key',
    config: { ...valid, sources: [{ ...valid.sources[0], exlude: ['*.tmp'] }] },
    line: /^ {2}at sources\[0\]\.exlude: is not a known property \(did you mean "exclude"\?\)/m,
  },
  { name: 'unknown top-level key', config: { ...valid, retension: {} }, line: /^ {2}at retension: is not a known property \(did you mean "retention"\?\)/m },
  {
    name: 'bad name',
    config: { ...valid, sources: [valid.sources[0], { name: 'Photos!', group: 'images', from: '/srv/img' }] },
    line: /^ {2}at sources\[1\]\.name: must be a name of lower-case letters, digits, "\.", "_" and "-", starting with a letter or digit \(for example "ajapaik-db"\)$/m,
  },
  { name: 'a time without its leading zero', config: { ...valid, schedule: { times: ['3:00'] } }, line: /^ {2}at schedule\.times\[0\]: must be a time of day as HH:MM \(two digits each, 00:00 to 23:59\)$/m },
  { name: 'a value outside an enum', config: { ...valid, suspend: { mode: 'hibernate' } }, line: /^ {2}at suspend\.mode: must be one of "suspend", "mem", "poweroff", "none"$/m },
  { name: 'missing required', config: { node: 'n', sources: valid.sources }, line: /^ {2}at storage: is required/m },
  {
    name: 'missing nested required',
    config: { ...valid, sources: [{ name: 'db', from: '/x' }] },
    line: /^ {2}at sources\[0\]\.group: is required \(for example "databases"\)/m,
  },
  { name: 'out of range', config: { ...valid, retention: { daily: 0 } }, line: /^ {2}at retention\.daily: must be >= 1/m },
  {
    name: 'duplicate source names',
    config: { ...valid, sources: [valid.sources[0], valid.sources[0]] },
    line: /^ {2}at sources\[1\]\.name: "db" is already the name of sources\[0\]/m,
  },
  {
    name: 'from and repositories',
    config: { ...valid, sources: [{ name: 'db', group: 'git', from: '/x', repositories: ['u'] }] },
    line: /^ {2}at sources\[0\]: needs exactly one of "from" and "repositories"/m,
  },
  {
    name: 'ssh on a local source',
    config: { ...valid, sources: [{ ...valid.sources[0], ssh: { port: 2222 } }] },
    line: /^ {2}at sources\[0\]\.ssh: applies only to a "from" of the form user@host:\/path/m,
  },
  {
    name: 'source inside the store',
    config: { ...valid, sources: [{ name: 'db', group: 'databases', from: 'store/db' }] },
    line: /^ {2}at sources\[0\]\.from: overlaps the store/m,
  },
  {
    name: 'source name is a group name',
    config: { ...valid, sources: [valid.sources[0], { name: 'databases', group: 'images', from: '/y' }] },
    line: /^ {2}at sources\[1\]\.name: "databases" is also a group name/m,
  },
];

for (const { name, config, line } of MALFORMED) {
  test(`config check: ${name} exits 2 and names the path`, () => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(config, null, 2));
    const result = odbackup(['--config', file, 'config', 'check']);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /problems? in the configuration \[exit 2: usage\]/);
    assert.match(result.stderr, line);
  });
}

test('config check reports every problem at once', () => {
  const file = join(dir, 'many.json');
  writeFileSync(file, JSON.stringify({ ...valid, node: 'Bad Node', retention: { daily: 0 }, extra: true }));
  const result = odbackup(['--config', file, 'config', 'check']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /3 problems/);
  assert.match(result.stderr, /at node:/);
  assert.match(result.stderr, /at retention\.daily:/);
  assert.match(result.stderr, /at extra:/);
});

test('invalid JSON is reported with its line and column', () => {
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{\n  "node": "n",\n  "storage": { "path": "/x" },\n}\n');
  const result = odbackup(['--config', file, 'config', 'check']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /invalid JSON at line 4, column 1/);
});

test('a missing configuration file exits 2 and says where it looked; ODBACKUP_CONFIG is honoured', () => {
  const missing = join(dir, 'nowhere.json');
  const result = odbackup(['config', 'check'], { ODBACKUP_CONFIG: missing });
  assert.equal(result.status, 2);
  assert.match(result.stderr, new RegExp(`cannot read the configuration ${missing}: no such file`));
});

test('a bad configuration stops cycle with 2 before anything is touched', () => {
  const file = join(dir, 'bad-cycle.json');
  writeFileSync(file, JSON.stringify({ ...valid, stateDir: join(dir, 'untouched-state'), retention: { daily: 0 } }));
  const result = odbackup(['--config', file, 'cycle']);
  assert.equal(result.status, 2);
  assert.equal(existsSync(join(dir, 'untouched-state')), false);
});

test('config example is a valid configuration, and config schema is a JSON Schema with $schema', () => {
  const example = odbackup(['config', 'example']);
  assert.equal(example.status, 0);
  const file = join(dir, 'example.json');
  writeFileSync(file, example.stdout);
  const check = odbackup(['--config', file, 'config', 'check']);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /valid \(node odroidm1, 4 sources\)/);
  const schema = JSON.parse(odbackup(['config', 'schema']).stdout);
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.ok(schema.properties.sources.items.properties.expect.description);
});

test('every property of the schema has a description and an example', () => {
  const schema = JSON.parse(odbackup(['config', 'schema']).stdout);
  const undocumented: string[] = [];
  const walk = (node: { properties?: Record<string, object>; items?: object }, path: string) => {
    for (const [name, property] of Object.entries(node.properties ?? {})) {
      const { description, examples } = property as { description?: string; examples?: unknown[] };
      if (!description || !examples?.length) undocumented.push(`${path}${name}`);
      walk(property, `${path}${name}.`);
    }
    if (node.items) walk(node.items, path.replace(/\.$/, '[].'));
  };
  walk(schema, '');
  assert.deepEqual(undocumented, []);
});

test('config show resolves paths and defaults and masks passwords in URLs', () => {
  const file = writeConfig(dir, [
    { name: 'code', group: 'git', repositories: ['https://deploy:s3cr3t-token@git.example.org/site.git'] },
    { name: 'db', group: 'databases', from: '/srv/dumps' },
  ]);
  const result = odbackup(['--config', file, '--json', 'config', 'show']);
  assert.equal(result.status, 0, result.stderr);
  assert.ok(!result.stdout.includes('s3cr3t-token'));
  const shown = JSON.parse(result.stdout).data;
  assert.equal(shown.sources[0].repositories[0], 'https://***@git.example.org/site.git');
  assert.equal(shown.sources[1].retries, 2);
  assert.equal(shown.stateDir, join(dir, 'state'));
});

test('a copy of a configuration elsewhere: config check names the folders that are not there, and the pass stops at check with 10, no misleading 13', () => {
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere, { recursive: true });
  const copy = join(elsewhere, 'demo.json');
  writeFileSync(copy, readFileSync(join(ROOT, 'examples', 'demo.json')));
  const check = odbackup(['--config', copy, 'config', 'check']);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /valid \(node demo-node, 2 sources\); but not there \(paths are relative to the file\): storage\.path \S+\/demo\/store, sources\[0\]\.from /);
  const pass = odbackup(['--config', copy, 'cycle']);
  assert.equal(pass.status, 10, pass.stderr);
  assert.match(pass.stdout, /check +failed +10 storageMissing +storage: the store \S+ does not exist/);
  assert.doesNotMatch(pass.stdout + pass.stderr, /warning 13/);
});

test('every problem at once: an expect pattern and a duplicate name are said with a malformed source, not after it is fixed', () => {
  const config = writeConfig(join(dir, 'all-at-once'), [
    'not-an-object' as unknown as object,
    { name: 'db', group: 'databases', from: '/srv/db', expect: ['dump_{%Q}.gz'] },
    { name: 'db', group: 'databases', from: '/srv/db2' },
  ]);
  const check = odbackup(['--config', config, 'config', 'check']);
  assert.equal(check.status, 2);
  assert.match(check.stderr, /at sources\[0\]: must be object/);
  assert.match(check.stderr, /at sources\[1\]\.expect\[0\]: /);
  assert.match(check.stderr, /at sources\[2\]\.name: "db" is already the name of sources\[1\]/);
});
