import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSshd, freePort, type Sshd } from './harness/sshd.js';
import { odbackup, removeDir, tempDir, writeConfig, writeFiles } from './helpers.js';

const root = tempDir();
const exported = join(root, 'source-server', 'backups');
let sshd: Sshd;

before(async () => {
  writeFiles(exported, { 'db_daily.psql.gz.enc': 'dump', 'weekly/db_weekly.psql.gz.enc': Buffer.alloc(50_000, 3) });
  sshd = await startSshd(join(root, 'sshd'), exported);
});
after(async () => {
  await sshd?.stop();
  removeDir(root);
});

function sshNode(name: string, ssh: Record<string, unknown>, extra: Record<string, unknown> = {}, from = `${sshd.user}@127.0.0.1:/`) {
  const dir = join(root, name);
  const config = writeConfig(dir, [
    {
      name: 'db',
      group: 'databases',
      from,
      retries: 0,
      ssh: { port: sshd.port, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile, connectTimeout: 5, ...ssh },
      ...extra,
    },
  ]);
  return {
    store: join(dir, 'store'),
    run: (...args: string[]) => odbackup(['--config', config, ...args]),
    pass: () => odbackup(['--config', config, 'cycle', '--skip', 'prune']),
  };
}

describe('sync over a real sshd, confined with rrsync -ro', () => {
  test('pulls the exported tree, verifies it against the source with rsync checksums; the next pass hard-links it', async () => {
    const n = sshNode('ok', {});
    const first = n.pass();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /transferred 2 files/);
    assert.match(first.stdout, /copy check: 2 files of 1 new snapshot\b/);
    await new Promise((done) => setTimeout(done, 1100));
    const second = n.pass();
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /transferred 0 files/);
    const latest = join(n.store, 'db', 'latest', 'weekly', 'db_weekly.psql.gz.enc');
    assert.equal(statSync(latest).size, 50_000);
    assert.equal(statSync(latest).nlink, 2);
  });

  test('an unknown host key is 41, never accepted', () => {
    const n = sshNode('unknown-host', { knownHostsFile: sshd.emptyKnownHostsFile });
    const result = n.run('sync');
    assert.equal(result.status, 41);
    assert.match(result.stderr, /db: source unreachable: Host key verification failed\. \[exit 41: sourceUnreachable\]/);
  });

  test('a key the source does not know is 41', () => {
    const n = sshNode('wrong-key', { identityFile: sshd.strangerIdentityFile });
    const result = n.run('sync');
    assert.equal(result.status, 41);
    assert.match(result.stderr, /db: source unreachable: .*Permission denied \(publickey\)/);
  });

  test('a host that is down is 41 after the configured retries', async () => {
    const n = sshNode('down', { port: await freePort() }, { retries: 1 });
    const result = n.run('sync');
    assert.equal(result.status, 41);
    assert.match(result.stderr, /Connection refused/);
    assert.match(result.stderr, /retrying in 2s \(1 left\)/);
    assert.match(result.stderr, /hint: tried 2 times/);
  });

  // Which program says it depends on the rrsync Debian ships: trixie's refuses the path itself, bookworm's
  // (3.2.7-1+deb12u6) lets it through and rsync reports the missing directory. One line and 41 either way.
  test('a source path that does not exist is 41 in one line naming the path', () => {
    const n = sshNode('missing-path', {}, {}, `${sshd.user}@127.0.0.1:/no-such-dir`);
    const result = n.run('sync');
    assert.equal(result.status, 41);
    assert.match(
      result.stderr,
      /^odbackup sync: db: (?:the source refused the path: .*\/no-such-dir\/? No such file or directory|the source directory \S*no-such-dir\/? does not exist) \[exit 41: sourceUnreachable\]$/m,
    );
  });
});
