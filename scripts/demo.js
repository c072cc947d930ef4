// `npm run demo`: a whole pass on the built-in demo configuration: local folders, no root.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'demo');
const databases = join(demo, 'sources', 'databases');
const images = join(demo, 'sources', 'images');

/** Today's dump is new every day; yesterday's stays; images only grow. Idempotent. */
function makeSources() {
  for (const directory of [databases, images, join(demo, 'store')]) mkdirSync(directory, { recursive: true });
  const day = String(new Date().getDate()).padStart(2, '0');
  const dump = `site_db_daily_${day}.sql.gz`;
  if (!existsSync(join(databases, dump))) {
    const rows = Array.from({ length: 2000 }, (_, i) => `INSERT INTO visits VALUES (${i}, '${new Date().toISOString()}');`).join('\n');
    const data = gzipSync(`-- demo dump ${new Date().toISOString()}\n${rows}\n`);
    writeFileSync(join(databases, dump), data);
    const sum = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(databases, 'SHA256SUMS'), `${sum}  ${dump}\n`);
  }
  for (let i = 1; i <= 5; i++) {
    const image = join(images, `photo-${i}.raw`);
    if (!existsSync(image)) writeFileSync(image, Buffer.alloc(256 * 1024, i));
  }
}

makeSources();
const config = join(root, 'examples', 'demo.json');
const odbackup = join(root, 'bin', 'odbackup.js');
const schema = execFileSync(process.execPath, [odbackup, 'config', 'schema']);
writeFileSync(join(root, 'dist', 'odbackup.schema.json'), schema);
// The demo node has no Badger: the pass draws its screens into a PNG instead (display.preview), with the same
// board program running in MicroPython. A second run on the same day leaves prune out: retention keeps a day's
// newest snapshot, and the newcomer is to see the two snapshots share every unchanged file.
const store = join(demo, 'store', 'photos');
const today = new Date().toISOString().slice(0, 10);
const again = existsSync(store) && readdirSync(store).some((name) => name.startsWith(today) && !name.endsWith('.xxh64'));
const pass = spawnSync(process.execPath, [odbackup, '--config', config, 'cycle', ...(again ? ['--skip', 'prune'] : [])], { stdio: 'inherit' });
const preview = join(demo, 'eink.png');
const cli = 'node bin/odbackup.js --config examples/demo.json';
console.log(`
Where to look (in a clone, odbackup is \`node bin/odbackup.js\`; the demo's configuration is examples/demo.json):
  the e-ink preview:              ${preview}
  the store (snapshots, latest):  ${join(demo, 'store')}
  the run journal and state:      ${join(demo, 'state')}
  the passes:                     ${cli} status
${
  again
    ? `This was a second pass today (prune left out, so that both snapshots stay): every unchanged file is a hard link.
  what each snapshot added:       ${cli} snapshots photos
  what changed between them:      ${cli} diff photos`
    : 'Run it again: the second pass hard-links everything unchanged.'
}
Get a file back, proven against its manifest:
  ${cli} restore photos photo-1.raw --to demo/restored-${process.pid}`);
process.exitCode = pass.status ?? 1;
