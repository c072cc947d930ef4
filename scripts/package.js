// `npm run package`: odbackup_<version>_<arch>.deb for arm64 and amd64, from a checkout on any machine.
// Built with dpkg-deb, not debhelper: npm builds the program and the package is that build laid out as Debian
// expects (/usr/lib/odbackup, /usr/bin, units, man pages, doc); debhelper would add a debian/ source tree and a
// build per architecture in a Debian chroot, for the same files. Only the serialport binding differs by
// architecture: each package carries the prebuilt one for its own (glibc) and no other.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.version;
const work = join(root, 'build', 'deb');
const LIB = 'usr/lib/odbackup';
const BINDINGS = 'node_modules/@serialport/bindings-cpp/prebuilds';
/** Debian architecture → the prebuilt serialport binding for it. */
const ARCHES = {
  amd64: { prebuilds: 'linux-x64', binding: '@serialport+bindings-cpp.glibc.node' },
  arm64: { prebuilds: 'linux-arm64', binding: '@serialport+bindings-cpp.armv8.glibc.node' },
};
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(ARCHES);

const run = (file, args, options = {}) => execFileSync(file, args, { encoding: 'utf8', ...options });
const write = (path, text, mode = 0o644) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
};
// Reproducible gzip (no name, no time), as Debian wants for man pages and changelogs.
const gzip = (text) => gzipSync(text, { level: 9 }).fill(0, 4, 8);

/** The production dependencies (npm's own list), each copied whole into the package's node_modules. */
function productionModules() {
  const listed = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  return listed.stdout
    .split('\n')
    .filter((path) => path.includes('/node_modules/'))
    .map((path) => relative(root, path))
    .sort();
}

/** What a module ships that the program does not run: dotfiles (.npmignore …), source maps, its own tests and docs,
 * the C++ sources of the prebuilt serialport binding. `path` is relative to the module, with a leading slash. */
function notTheProgram(module, path) {
  const name = path.split('/').at(-1);
  return name.startsWith('.') || name.endsWith('.map') || /^\/(tests?|docs?)$/.test(path) || (module.endsWith('@serialport/bindings-cpp') && path === '/src');
}

/** One package's tree, without the architecture: program, modules, units, hooks, man pages, doc. */
function stageCommon(stage) {
  const lib = join(stage, LIB);
  mkdirSync(lib, { recursive: true });
  write(join(lib, 'package.json'), JSON.stringify({ name: pkg.name, version, type: 'module', license: pkg.license }, null, 2) + '\n');
  cpSync(join(root, 'bin'), join(lib, 'bin'), { recursive: true });
  // The copy's own #! line names Debian's node, which /usr/bin/odbackup runs.
  const entry = join(lib, 'bin/odbackup.js');
  writeFileSync(entry, readFileSync(entry, 'utf8').replace(/^#!.*/, '#!/usr/bin/node'));
  cpSync(join(root, 'dist', 'src'), join(lib, 'dist', 'src'), { recursive: true, filter: (path) => !path.endsWith('.map') });
  cpSync(join(root, 'packaging', 'badger'), join(lib, 'packaging', 'badger'), { recursive: true });
  cpSync(join(root, 'packaging', 'catalog'), join(lib, 'packaging', 'catalog'), { recursive: true });
  for (const module of productionModules()) {
    if (existsSync(join(lib, module))) continue; // copied with its parent
    const from = join(root, module);
    cpSync(from, join(lib, module), { recursive: true, filter: (path) => !notTheProgram(module, path.slice(from.length)) });
  }
  normaliseModes(join(lib, 'node_modules'));
  write(join(stage, 'usr/bin/odbackup'), `#!/bin/sh\nexec /usr/bin/node /${LIB}/bin/odbackup.js "$@"\n`, 0o755);
  for (const unit of ['odbackup.service', 'odbackup.timer'])
    copyFileSync(join(root, 'packaging/systemd', unit), join(mkdirs(stage, 'usr/lib/systemd/system'), unit));
  write(join(stage, 'usr/lib/systemd/system-sleep/odbackup'), readFileSync(join(root, 'packaging/system-sleep/odbackup')), 0o755);
  write(join(stage, 'etc/cron.d/odbackup'), readFileSync(join(root, 'packaging/cron/odbackup')));
  write(join(stage, 'usr/share/man/man1/odbackup.1.gz'), gzip(readFileSync(join(root, 'man/odbackup.1'))));
  write(join(stage, 'usr/share/man/man5/odbackup.json.5.gz'), gzip(readFileSync(join(root, 'man/odbackup.json.5'))));
  const doc = join(stage, 'usr/share/doc/odbackup');
  const example = run(process.execPath, [join(root, 'bin/odbackup.js'), 'config', 'example']);
  write(join(doc, 'examples/odbackup.json'), example);
  write(join(doc, 'changelog.gz'), gzip(changelog()));
  write(join(doc, 'copyright'), copyright(lib));
}

/** Node runs the modules; none of their files is executed itself (lintian: executable-not-elf-or-script). */
function normaliseModes(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    chmodSync(path, entry.isDirectory() ? 0o755 : 0o644);
    if (entry.isDirectory()) normaliseModes(path);
  }
}

function mkdirs(stage, path) {
  mkdirSync(join(stage, path), { recursive: true });
  return join(stage, path);
}

function changelog() {
  const date = run('date', ['-R', '-u', '-d', `@${Math.floor(Date.now() / 1000)}`]).trim();
  return `odbackup (${version}) unstable; urgency=medium\n\n  * Release ${version}: see README.md for what it does.\n\n -- odbackup developers <odbackup@example.org>  ${date}\n`;
}

const MIT = `Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;

/** machine-readable copyright (DEP-5): odbackup, then every bundled module with the license its package.json names. */
function copyright(lib) {
  const paragraphs = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: odbackup\n',
    `Files: *\nCopyright: 2026 odbackup developers\nLicense: ${pkg.license}\n`,
  ];
  const seen = new Set();
  const walk = (directory) => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (name.startsWith('@')) walk(path);
      else if (existsSync(join(path, 'package.json')) && !seen.has(path)) {
        seen.add(path);
        const meta = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
        const author = typeof meta.author === 'string' ? meta.author : (meta.author?.name ?? `the ${meta.name} authors`);
        paragraphs.push(`Files: ${relative(join(lib, '..', '..', '..'), path)}/*\nCopyright: ${author}\nLicense: ${meta.license ?? 'see the package'}\n`);
        if (existsSync(join(path, 'node_modules'))) walk(join(path, 'node_modules'));
      }
    }
  };
  walk(join(lib, 'node_modules'));
  paragraphs.push(`License: MIT\n ${MIT.split('\n').join('\n ').replace(/\n \n/g, '\n .\n')}\n`);
  return paragraphs.join('\n');
}

/** The Debian package of each library a serialport binding links. */
const LIBRARY_PACKAGES = {
  'libc.so.6': 'libc6',
  'libm.so.6': 'libc6',
  'libpthread.so.0': 'libc6',
  'libstdc++.so.6': 'libstdc++6',
  'libgcc_s.so.1': 'libgcc-s1',
};

/** The libraries the binding links, as Debian computes it for the build machine's own architecture. */
function sharedLibraryDepends(stage) {
  const native = run('dpkg', ['--print-architecture']).trim();
  const nativeArch = ARCHES[native];
  if (!nativeArch) throw new Error(`no serialport binding for the build machine's architecture ${native}`);
  const binding = join(root, BINDINGS, nativeArch.prebuilds, nativeArch.binding);
  const control = join(work, 'shlibs', 'debian');
  mkdirSync(control, { recursive: true });
  writeFileSync(join(control, 'control'), 'Source: odbackup\n\nPackage: odbackup\nArchitecture: any\n');
  const out = run('dpkg-shlibdeps', ['-O', '-e', binding], { cwd: dirname(control), stdio: ['ignore', 'pipe', 'ignore'] });
  // Another architecture's binding needs libraries of the same Debian packages (checked here): the native
  // computation's versions stand for it.
  const packagesOf = (file) => {
    const libraries = [...run('readelf', ['-d', file]).matchAll(/\(NEEDED\).*\[(.*)\]/g)].map((match) => match[1]);
    const unknown = libraries.filter((library) => !LIBRARY_PACKAGES[library]);
    if (unknown.length) throw new Error(`${file} links ${unknown.join(', ')}: add its package to LIBRARY_PACKAGES`);
    return [...new Set(libraries.map((library) => LIBRARY_PACKAGES[library]))].sort().join();
  };
  for (const arch of wanted) {
    const other = join(root, BINDINGS, ARCHES[arch].prebuilds, ARCHES[arch].binding);
    if (packagesOf(other) !== packagesOf(binding))
      throw new Error(`${arch}: the binding needs other packages than ${native}'s; compute its Depends on an ${arch} machine`);
  }
  return out.replace(/^shlibs:Depends=/, '').trim();
}

function installedSize(stage) {
  return Math.ceil(Number(run('du', ['-sk', '--exclude=DEBIAN', stage]).split('\t')[0]));
}

function maintainerScripts(debian) {
  write(
    join(debian, 'postinst'),
    `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  mkdir -p /var/lib/odbackup
  chmod 0700 /var/lib/odbackup
  [ -d /run/systemd/system ] && systemctl daemon-reload || true
  if [ -z "$2" ]; then
    echo "odbackup is installed and does nothing yet. Next:"
    echo "  odbackup setup    # writes /etc/odbackup/odbackup.json from the example: edit it (man odbackup.json)"
    echo "  odbackup setup    # again: checks the configuration and the hardware, then enables odbackup.timer"
  fi
fi
exit 0
`,
    0o755,
  );
  write(
    join(debian, 'prerm'),
    `#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ] && command -v deb-systemd-invoke >/dev/null; then
  deb-systemd-invoke stop odbackup.timer odbackup.service >/dev/null 2>&1 || true
fi
exit 0
`,
    0o755,
  );
  write(
    join(debian, 'postrm'),
    `#!/bin/sh
set -e
# Purging removes the node's state (Debian policy); never the store, which is the backups themselves.
if [ "$1" = remove ] && command -v deb-systemd-helper >/dev/null; then
  deb-systemd-helper disable odbackup.timer >/dev/null 2>&1 || true
fi
if [ "$1" = purge ]; then
  rm -rf /var/lib/odbackup
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
exit 0
`,
    0o755,
  );
  write(join(debian, 'conffiles'), '/etc/cron.d/odbackup\n');
}

function md5sums(stage) {
  const lines = [];
  const walk = (directory) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) lines.push(`${createHash('md5').update(readFileSync(path)).digest('hex')}  ${relative(stage, path)}`);
    }
  };
  for (const top of readdirSync(stage)) if (top !== 'DEBIAN') walk(join(stage, top));
  return lines.sort((a, b) => (a.slice(34) < b.slice(34) ? -1 : 1)).join('\n') + '\n';
}

rmSync(work, { recursive: true, force: true });
const common = join(work, 'common');
stageCommon(common);
const depends = sharedLibraryDepends(common);
for (const arch of wanted) {
  const stage = join(work, arch);
  cpSync(common, stage, { recursive: true, verbatimSymlinks: true });
  const prebuilds = join(stage, LIB, BINDINGS);
  for (const platform of readdirSync(prebuilds)) {
    if (platform !== ARCHES[arch].prebuilds) rmSync(join(prebuilds, platform), { recursive: true });
    else for (const file of readdirSync(join(prebuilds, platform))) if (file !== ARCHES[arch].binding) rmSync(join(prebuilds, platform, file));
  }
  const debian = join(stage, 'DEBIAN');
  maintainerScripts(debian);
  write(join(debian, 'md5sums'), md5sums(stage));
  write(
    join(debian, 'control'),
    `Package: odbackup
Version: ${version}
Architecture: ${arch}
Maintainer: odbackup developers <odbackup@example.org>
Installed-Size: ${installedSize(stage)}
Depends: nodejs (>= 20), rsync, e2fsprogs, openssh-client, util-linux-extra, ${depends}
Recommends: smartmontools, xxhash
Suggests: openssh-server
Section: admin
Priority: optional
Homepage: https://odbackup.invalid/
Description: pull-backup appliance: daily pass, proven by checksums, then sleep
 The software of a low-power backup node (Odroid M1 with an SSD and a Badger
 2040 e-ink): once a day the RTC wakes it, it pulls database dumps, images and
 git repositories with rsync, proves with XXH64 manifests that every byte
 arrived, keeps hard-linked snapshots, shows the result on the e-ink, pings a
 monitor and suspends again. Restores are proven the same way.
`,
  );
  const deb = join(root, `odbackup_${version}_${arch}.deb`);
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`${relative(root, deb)}  ${(statSync(deb).size / 1024 / 1024).toFixed(1)} MiB`);
}
