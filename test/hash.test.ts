import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HashPool } from '../src/hash/pool.js';

/**
 * Many small files, two larger than one read (256 KiB), and one over the 64 MiB the main thread reads itself, with
 * the hashes xxh64sum gives them.
 */
function tree(dir: string): Map<string, string> {
  const names = [...Array.from({ length: 600 }, (_, i) => `small-${i}`), 'large-a', 'large-b', 'huge'];
  for (const name of names) writeFileSync(join(dir, name), name.startsWith('large') ? Buffer.alloc(1_000_000, name) : `${name}\n`);
  truncateSync(join(dir, 'huge'), 64 * 1024 * 1024 + 1);
  const sums = execFileSync('xxh64sum', names, { cwd: dir, encoding: 'utf8' });
  return new Map(
    sums
      .trim()
      .split('\n')
      .map((line) => [line.slice(18), line.slice(0, 16)]),
  );
}

// The main thread reads files itself until its budget is spent, and leaves a huge one to a thread (after which
// threads read everything, hence a pool for each question): whichever reads a file, the answer is the same.
for (const [where, budgetMs] of [
  ['on threads only', 0],
  ['on the main thread first', 250],
  ['on the main thread as far as it may', Infinity],
] as const) {
  test(`a pool hashes as xxh64sum does and finds every rotten, missing or replaced file, ${where}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odbackup-hash-'));
    const pools = [new HashPool({ threads: 2, inlineMs: budgetMs }), new HashPool({ threads: 2, inlineMs: budgetMs })];
    try {
      const expected = tree(dir);
      const names = [...expected.keys()];
      const hashes = await Promise.all(names.map((name) => pools[0]!.hash(join(dir, name))));
      assert.deepEqual(
        hashes.map(({ hash }) => hash),
        names.map((name) => expected.get(name)),
      );
      assert.equal(hashes.at(-1)!.bytes, 64 * 1024 * 1024 + 1);

      writeFileSync(join(dir, 'small-7'), 'rotten\n');
      writeFileSync(join(dir, 'large-b'), Buffer.alloc(1_000_000, 'large-c'));
      truncateSync(join(dir, 'huge'), 64 * 1024 * 1024 + 2);
      rmSync(join(dir, 'small-8'));
      rmSync(join(dir, 'small-9'));
      symlinkSync('small-10', join(dir, 'small-9'));
      const files = names.map((name) => ({ dir, name, hash: expected.get(name)! }));
      const comparison = await pools[1]!.compare(files);
      assert.equal(comparison.files, names.length - 2, 'every file read but the missing one and the link');
      assert.deepEqual(comparison.differences.map(({ file, actual, code }) => [file.name, actual !== undefined, code]).sort(), [
        ['huge', true, undefined],
        ['large-b', true, undefined],
        ['small-7', true, undefined],
        ['small-8', false, 'ENOENT'],
        ['small-9', false, 'ELOOP'],
      ]);
      await assert.rejects(pools[0]!.hash(join(dir, 'small-8')), /ENOENT/);
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
