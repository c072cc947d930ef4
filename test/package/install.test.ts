// `npm run test:package`: the .deb as an operator installs it, with apt in a real Debian 13 root (mmdebstrap), and
// the arm64 build run by Debian's arm64 nodejs under qemu-aarch64-static (this machine has no binfmt_misc).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { have, isRoot, removeDir, ROOT, tempDir } from '../helpers.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Roots are built once and kept here (the test owns the folder): a rebuild costs a download of the base system. */
const CACHE = process.env.ODBACKUP_ROOT_CACHE ?? '/var/cache/odbackup-test';
const MIRROR = 'http://deb.debian.org/debian';
const work = tempDir('odbackup-package-');
const mounted: string[] = [];
after(() => {
  for (const path of mounted.reverse()) spawnSync('umount', ['-l', path]);
  removeDir(work);
});

const skip = !isRoot() ? 'needs root (chroot, mounts)' : !have('mmdebstrap') ? 'needs mmdebstrap (apt-get install mmdebstrap)' : false;

function run(file: string, args: string[], timeout = 600_000) {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', output: `${result.stdout}${result.stderr}` };
}

/** A trixie root from the cache, made by mmdebstrap the first time. */
function rootFrom(name: string, mmdebstrapArgs: string[]): string {
  mkdirSync(CACHE, { recursive: true });
  const tarball = join(CACHE, `${name}.tar`);
  // Only a tarball is trusted: anything else under its name (a directory, as runs without --format=tar left) is rebuilt.
  if (existsSync(tarball) && !statSync(tarball).isFile()) removeDir(tarball);
  if (!existsSync(tarball)) {
    removeDir(`${tarball}.tmp`);
    // --format=tar: from the name `….tar.tmp` mmdebstrap would infer a directory.
    const made = run('mmdebstrap', [...mmdebstrapArgs, '--format=tar', 'trixie', `${tarball}.tmp`, MIRROR], 1_800_000);
    assert.equal(made.status, 0, made.output.slice(-2000));
    spawnSync('mv', [`${tarball}.tmp`, tarball]);
  }
  const root = join(work, name);
  mkdirSync(root);
  assert.equal(run('tar', ['-C', root, '-xf', tarball]).status, 0);
  return root;
}

function deb(arch: string): string {
  const path = join(ROOT, `odbackup_${VERSION}_${arch}.deb`);
  assert.ok(existsSync(path), `${path}: run \`npm run package\` first`);
  return path;
}

/** The PNG's width and height (IHDR). */
function pngSize(path: string): [number, number] {
  const png = readFileSync(path);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

const DEMO_CONFIG = JSON.stringify({
  node: 'trixie',
  storage: { path: '/srv/store' },
  sources: [{ name: 'files', group: 'files', from: '/srv/source' }],
  suspend: { mode: 'none' },
  display: { port: 'none', preview: '/tmp/eink.png' },
  catalog: { to: '/srv/www/odbackup' },
  schedule: { networkSettleSeconds: 0 },
});

test('the amd64 .deb installs with apt in a Debian 13 root, runs a whole pass, and goes away as Debian says', { skip }, () => {
  const root = rootFrom('trixie-amd64', ['--variant=apt', '--include=ca-certificates']);
  for (const [what, where] of [
    ['proc', 'proc'],
    ['/dev', 'dev'],
  ] as const) {
    const target = join(root, where);
    assert.equal(run('mount', what === 'proc' ? ['-t', 'proc', 'proc', target] : ['--bind', what, target]).status, 0);
    mounted.push(target);
  }
  copyFileSync('/etc/resolv.conf', join(root, 'etc/resolv.conf'));
  copyFileSync(deb('amd64'), join(root, 'tmp/odbackup.deb'));
  const inRoot = (script: string) => run('chroot', [root, 'sh', '-c', script]);

  const started = Date.now();
  const install = inRoot(
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/odbackup.deb man-db systemd',
  );
  const seconds = (Date.now() - started) / 1000;
  assert.equal(install.status, 0, install.output.slice(-3000));
  console.log(`apt-get install of the .deb (with nodejs, rsync, man-db, systemd) in the trixie root: ${seconds.toFixed(0)} s`);
  assert.match(install.output, /odbackup setup/, 'postinst says what to run next');
  assert.equal(statSync(join(root, 'var/lib/odbackup')).mode & 0o777, 0o700);

  const help = inRoot('odbackup --help');
  assert.equal(help.status, 0, help.output);
  assert.match(help.stdout, /^\s+restore\b/m);
  assert.equal(JSON.parse(inRoot('odbackup config example').stdout).node, 'odroidm1');

  const pass = inRoot(
    `mkdir -p /srv/source /srv/store /srv/www/odbackup && echo tonight > /srv/source/dump.sql && cat > /etc/demo.json <<'EOF'\n${DEMO_CONFIG}\nEOF\n` +
      'odbackup -c /etc/demo.json display ready --preview /tmp/ready.png && odbackup -c /etc/demo.json cycle --no-suspend',
  );
  assert.equal(pass.status, 0, pass.output.slice(-3000));
  assert.deepEqual(pngSize(join(root, 'tmp/ready.png')), [296, 128]);
  assert.equal(readFileSync(join(root, 'srv/store/files/latest/dump.sql'), 'utf8'), 'tonight\n');
  // The installed package publishes the catalog with its page, and reads it back anywhere.
  assert.match(readFileSync(join(root, 'srv/www/odbackup/index.html'), 'utf8'), /<title>Your backups<\/title>/);
  for (const file of ['page.js', 'match.js', 'path-index.js']) assert.ok(existsSync(join(root, 'srv/www/odbackup', file)), file);
  assert.match(inRoot('odbackup find dump.sql --catalog /srv/www/odbackup').stdout, /files +dump\.sql/);

  assert.match(inRoot('man -w odbackup').stdout, /\/usr\/share\/man\/man1\/odbackup\.1\.gz/);
  assert.match(inRoot('man -w odbackup.json').stdout, /\/usr\/share\/man\/man5\/odbackup\.json\.5\.gz/);
  const verify = inRoot('systemd-analyze verify /usr/lib/systemd/system/odbackup.service /usr/lib/systemd/system/odbackup.timer');
  assert.equal(verify.status, 0, verify.output);
  // The unit's exposure: 2.4 with trixie's systemd (README "Installing"); a change that raises it fails here.
  const security = inRoot('systemd-analyze security --offline=true --threshold=24 /usr/lib/systemd/system/odbackup.service');
  assert.equal(security.status, 0, security.output.slice(-1500));
  const score = Number(/Overall exposure level for odbackup\.service: ([\d.]+)/.exec(security.output)?.[1]);
  console.log(`systemd-analyze security odbackup.service: ${score}`);

  const setup = inRoot('odbackup setup');
  assert.equal(setup.status, 0, setup.output);
  assert.ok(existsSync(join(root, 'etc/odbackup/odbackup.json')), 'setup wrote the configuration from the example');

  const remove = inRoot('DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq odbackup');
  assert.equal(remove.status, 0, remove.output);
  assert.ok(!existsSync(join(root, 'usr/bin/odbackup')));
  assert.ok(existsSync(join(root, 'var/lib/odbackup')), 'remove keeps the state');
  assert.ok(existsSync(join(root, 'etc/cron.d/odbackup')), 'remove keeps the conffile');
  const purge = inRoot('DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq odbackup');
  assert.equal(purge.status, 0, purge.output);
  assert.ok(!existsSync(join(root, 'var/lib/odbackup')), 'purge removes the state');
  assert.ok(!existsSync(join(root, 'etc/cron.d/odbackup')), 'purge removes the conffile');
  assert.deepEqual(readdirSync(join(root, 'srv/store/files')).length, 3, 'the store is never touched');
});

test('lintian finds no error in either package', { skip: !have('lintian') && 'needs lintian' }, () => {
  const lint = run('lintian', ['--fail-on', 'error', deb('amd64'), deb('arm64')]);
  assert.equal(lint.status, 0, lint.output);
  assert.doesNotMatch(lint.output, /^E: /m);
  // The warnings that stay, and why, are listed in the README ("Installing").
  const warnings = new Set([...lint.output.matchAll(/^W: odbackup: ([\w-]+)/gm)].map((match) => match[1]));
  assert.deepEqual([...warnings].sort(), ['embedded-javascript-library', 'script-not-executable']);
});

test(
  'the arm64 .deb: Debian arm64 nodejs under qemu runs --help and the preview, and loads the arm64 serialport binding',
  {
    skip: skip || (!have('qemu-aarch64-static') && 'needs qemu-user-static'),
  },
  () => {
    // Packages only extracted (no maintainer scripts: they would need binfmt_misc); the .deb unpacked the same way.
    const root = rootFrom('trixie-arm64-extract', ['--variant=extract', '--architectures=arm64', '--include=nodejs']);
    for (const directory of ['lib', 'bin', 'sbin']) if (!existsSync(join(root, directory))) symlinkSync(`usr/${directory}`, join(root, directory));
    assert.equal(run('dpkg-deb', ['-x', deb('arm64'), root]).status, 0);
    const node = (...args: string[]) => run('qemu-aarch64-static', ['-L', root, join(root, 'usr/bin/node'), ...args]);
    const program = join(root, 'usr/lib/odbackup/bin/odbackup.js');
    const help = node(program, '--help');
    assert.equal(help.status, 0, help.output);
    assert.match(help.stdout, /^\s+restore\b/m);
    const config = join(root, 'tmp/preview.json');
    spawnSync('sh', ['-c', `cat > ${config}`], { input: DEMO_CONFIG });
    const preview = node(program, '-c', config, 'display', 'ready', '--preview', join(root, 'tmp/ready.png'));
    assert.equal(preview.status, 0, preview.output);
    assert.deepEqual(pngSize(join(root, 'tmp/ready.png')), [296, 128]);
    const bindings = join(root, 'usr/lib/odbackup/node_modules/@serialport/bindings-cpp');
    const gyp = join(root, 'usr/lib/odbackup/node_modules/node-gyp-build');
    const loaded = node(
      '-e',
      `const gyp = require(${JSON.stringify(gyp)}); console.log(process.arch, gyp.path(${JSON.stringify(bindings)})); gyp(${JSON.stringify(bindings)}).list;`,
    );
    assert.equal(loaded.status, 0, loaded.output);
    assert.match(loaded.stdout, /^arm64 .*prebuilds\/linux-arm64\/@serialport\+bindings-cpp\.armv8\.glibc\.node$/m);
    assert.deepEqual(readdirSync(join(bindings, 'prebuilds')), ['linux-arm64'], 'only the arm64 binding is shipped');
  },
);
