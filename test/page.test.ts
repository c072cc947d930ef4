// The catalog's page in a real browser (Debian's chromium, driven by playwright-core), on a catalog two nodes
// published from real passes: what Jim and a teacher see and do.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { nightClock } from './harness/nights.js';
import { serveStatic } from './harness/static.js';
import { pathMatcher } from '../src/catalog/match.js';
import { MATCH_TABLE } from './harness/patterns.js';
import { odbackup, odbackupAsync, removeDir, tempDir, writeConfig, writeFiles } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const root = tempDir();
const source = join(root, 'laptop');
/** A camera's card: more files than one chunk of the path index holds (CHUNK_PATHS). */
const camera = join(root, 'camera');
const PHOTOS = 1500;
const published = join(root, 'published');
const requests = join(root, 'requests');
const jimLaptop = join(root, 'jim-laptop');
const XSS_NAME = '<img src=x onerror=alert(1)>.png';
const DRAWING = 'drawings/jim/house-drawing.dxf';
const VERSIONS = ['house v1', 'house v2 (a porch)', 'house v3 (a second floor)'];
const NODES = ['node-a', 'node-b'];
let browser: Browser | undefined;
let server: Awaited<ReturnType<typeof serveStatic>>;
const configs: Record<string, string> = {};
const dialogs: string[] = [];

async function night(node: string, date: string): Promise<void> {
  const at = nightClock(`${date} 03:00:00`);
  const pass = await odbackupAsync(['--config', configs[node]!, 'cycle', '--no-suspend'], at.env, at.prefix);
  assert.equal(pass.status, 0, `${node} ${date}: ${pass.stdout}${pass.stderr}`);
}

before(async () => {
  writeFiles(source, { 'docs/letter.txt': 'Dear Jocinta', [XSS_NAME]: 'not a script' });
  writeFileSync(Buffer.concat([Buffer.from(`${source}/`), Buffer.from('caf\xe9.txt', 'latin1')]), 'latin-1 name');
  writeFiles(camera, Object.fromEntries(Array.from({ length: PHOTOS }, (_, n) => [`2026/img-${String(n).padStart(4, '0')}.jpg`, `photo ${n}`])));
  for (const folder of [requests, published, jimLaptop]) mkdirSync(folder, { recursive: true });
  for (const node of NODES)
    configs[node] = writeConfig(join(root, node), [{ name: 'work', group: 'laptops', from: source }, { name: 'camera', group: 'photos', from: camera }], {
      node,
      retention: { daily: 30, weekly: 0, monthly: 0 },
      catalog: { to: published, requests, peers: NODES.filter((other) => other !== node) },
      restore: { destinations: { 'jim-laptop': jimLaptop } },
    });
  for (const [index, content] of VERSIONS.entries()) {
    writeFiles(source, { [DRAWING]: content });
    for (const node of NODES) await night(node, `2026-11-0${index + 1}`);
  }
  server = await serveStatic(published);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await server?.close();
  removeDir(root);
});

async function openPage(): Promise<Page> {
  const page = await browser!.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${server.url}index.html`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

/** Types a query as a person does (no button: the page answers as they type); the results' path and where-line. */
export async function search(page: Page, query: string): Promise<{ path: string; where: string }[]> {
  await page.fill('#search', query);
  await page.waitForFunction(`document.getElementById('search-status').textContent.includes(${JSON.stringify(`found for ${query}.`)})`);
  return page.$$eval('#results li .path', (paths) =>
    paths.map((path) => ({ path: path.firstChild?.textContent ?? '', where: path.querySelector('.where')?.textContent ?? '' })),
  );
}

test('both nodes side by side: each last pass OK, and its next pass', async () => {
  const page = await openPage();
  const cards = await page.$$eval('#nodes .card', (nodes) => nodes.map((node) => node.textContent ?? ''));
  assert.equal(cards.length, 2);
  for (const [index, node] of NODES.entries()) {
    assert.match(cards[index]!, new RegExp(`^${node}OK`));
    assert.match(cards[index]!, /Next (today|tomorrow|on .+) at /);
  }
  await page.close();
});

test('Jim searches "drawing", sees three versions held by both nodes, saves a request for version 2; after the next pass it is done, the bytes are night 2\'s', async () => {
  const page = await openPage();
  const found = await search(page, 'drawing');
  assert.deepEqual(
    found.map((row) => [row.path, row.where]),
    NODES.map((node) => [DRAWING, `work on ${node} · 3 versions`]),
  );
  await page.click('#results li:first-child button');
  const versions = await page.$$eval('#timeline li', (rows) => rows.map((row) => row.textContent ?? ''));
  assert.deepEqual(
    versions.map((row) => /^Version (\d)saved .* · (\d+ B) · changed .*kept in \d backups? on (.*)Get version/.exec(row)?.slice(1)),
    [...VERSIONS.entries()].reverse().map(([index, content]) => [String(index + 1), `${content.length} B`, NODES.join(', ')]),
  );
  await page.click('#timeline li:nth-child(2) button');
  assert.equal(await page.inputValue('#destination'), 'jim-laptop');
  // No people configured, no PUT: the page falls back to a download.
  await page.click('#request-send');
  await page.waitForSelector('#request-fallback:not([hidden])');
  const download = page.waitForEvent('download');
  await page.click('#request-save');
  const saved = await download;
  const name = saved.suggestedFilename();
  assert.match(name, /^house-drawing\.dxf-v2-[a-z0-9]+\.json$/);
  const request = JSON.parse(readFileSync(await saved.path(), 'utf8'));
  assert.equal(request.node, 'node-a');
  await saved.saveAs(join(requests, name));

  await night('node-a', '2026-11-04');
  await night('node-b', '2026-11-04');
  const id = name.slice(0, -'.json'.length);
  assert.equal(readFileSync(join(jimLaptop, id, DRAWING), 'utf8'), VERSIONS[1]);
  assert.equal(existsSync(join(jimLaptop, `${id}`, 'docs')), false, 'only what was asked for');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  const results = await page.$$eval('#requests li', (rows) => rows.map((row) => row.textContent ?? ''));
  const served = results.filter((row) => row.startsWith(id));
  assert.equal(served.length, 1, 'served by the node it names, once');
  assert.match(served[0]!, new RegExp(`^${id}Done .*: 1 file \\(18 B\\) are in jim-laptop/${id}\\.$`));
  await page.close();
});

test("Jocinta's laptop was reflashed: she asks for all of the latest snapshot, and the next pass restores every file", async () => {
  const page = await openPage();
  await page.selectOption('#browse-source', { label: 'work on node-b' });
  const latest = await page.inputValue('#browse-snapshot');
  await page.click('#browse-all');
  await page.click('#request-send');
  await page.waitForSelector('#request-fallback:not([hidden])');
  const download = page.waitForEvent('download');
  await page.click('#request-save');
  const saved = await download;
  const request = JSON.parse(readFileSync(await saved.path(), 'utf8'));
  assert.deepEqual(request, { source: 'work', path: '.', version: latest, destination: 'jim-laptop', node: 'node-b' });
  await saved.saveAs(join(requests, saved.suggestedFilename()));
  await night('node-b', '2026-11-05');
  const restored = join(jimLaptop, saved.suggestedFilename().slice(0, -'.json'.length));
  assert.equal(readFileSync(join(restored, 'docs/letter.txt'), 'utf8'), 'Dear Jocinta');
  assert.equal(readFileSync(join(restored, DRAWING), 'utf8'), VERSIONS[2]);
  assert.equal(readFileSync(join(restored, XSS_NAME), 'utf8'), 'not a script');
  await page.close();
});

test('names are shown as text: markup in a name stays text, bytes that are not UTF-8 show as \\xNN; a snapshot opens as folders', async () => {
  const page = await openPage();
  const png = await search(page, '*.png');
  assert.deepEqual(
    png.map((row) => row.path),
    [XSS_NAME, XSS_NAME],
  );
  assert.equal(await page.locator('#results img').count(), 0, 'no element made from a name');
  const latin = await search(page, 'caf*');
  assert.deepEqual(
    latin.map((row) => row.path),
    ['caf\\xe9.txt', 'caf\\xe9.txt'],
  );
  await page.selectOption('#browse-source', { index: 0 });
  await page.click('#browse-open');
  await page.waitForSelector('#tree li');
  const top = await page.$$eval('#tree > li', (items) => items.map((item) => (item.querySelector('summary') ?? item.querySelector('span')?.firstChild)?.textContent ?? ''));
  assert.ok(top.includes('docs/') && top.includes('drawings/') && top.includes(XSS_NAME), top.join(', '));
  await page.click('#tree summary:has-text("docs/")');
  // The folder's rows are made when it opens (its toggle event): wait for them, not for a moment.
  await page.locator('#tree li.file', { hasText: 'letter.txt' }).waitFor();
  assert.deepEqual(dialogs, [], 'no script ran');
  await page.close();
});

test('a search fetches only what can answer it: the shards of its trigrams and the chunks they name; a large folder shows its first 1000 files', async () => {
  const page = await openPage();
  const asked: string[] = [];
  page.on('request', (request) => asked.push(new URL(request.url()).pathname));
  const found = await search(page, 'img-1234');
  assert.deepEqual(found.map((row) => `${row.path} ${row.where.split(' · ')[0]}`), ['2026/img-1234.jpg camera on node-a', '2026/img-1234.jpg camera on node-b']);
  const index = JSON.parse(readFileSync(join(published, 'node-a', 'index.json'), 'utf8'));
  const { chunks, folder } = index.sources.find((source: { name: string }) => source.name === 'camera').index;
  assert.ok(chunks >= 3, `the camera's index has ${chunks} chunks`);
  const read = asked.filter((path) => path.startsWith(`/node-a/${folder}/`)).map((path) => path.split('/').at(-1)!);
  assert.deepEqual(read.filter((piece) => piece.startsWith('c')).length, 1, `one chunk of ${chunks} read: ${read.join(' ')}`);
  assert.ok(read.every((piece) => /^[cg]\d+\.gz$/.test(piece)), read.join(' '));
  await page.selectOption('#browse-source', { label: 'camera on node-a' });
  await page.click('#browse-open');
  await page.click('#tree summary:has-text("2026/")');
  await page.locator('#tree li.muted', { hasText: `The first 1000 of ${PHOTOS} files are shown` }).waitFor();
  assert.equal(await page.locator('#tree li.file').count(), 1000);

  // A peer's piece that cannot be fetched, and a peer still on the older format: named, the rest searched.
  const peer = join(published, 'node-b', 'index.json');
  const peerIndex = readFileSync(peer, 'utf8');
  const cameraB = JSON.parse(peerIndex).sources.find((source: { name: string }) => source.name === 'camera').index.folder;
  const chunk = join(published, 'node-b', cameraB, 'c0.gz');
  renameSync(chunk, `${chunk}.away`);
  await page.fill('#search', '');
  assert.deepEqual((await search(page, 'img-0042')).map((row) => row.where.split(' · ')[0]), ['camera on node-a']);
  assert.match((await page.textContent('#search-status'))!, /Not read: node-b: camera \(it could not be fetched; the next search tries again\)\./);
  renameSync(`${chunk}.away`, chunk);
  const older = JSON.parse(peerIndex);
  older.version = 1;
  for (const source of older.sources) delete source.index;
  writeFileSync(peer, JSON.stringify(older));
  try {
    const fresh = await openPage();
    assert.deepEqual((await search(fresh, 'img-0043')).map((row) => row.where.split(' · ')[0]), ['camera on node-a']);
    assert.match((await fresh.textContent('#search-status'))!, /node-b: camera \(published by an older odbackup: it can be searched after that node's next pass\)/);
    await fresh.close();
  } finally {
    writeFileSync(peer, peerIndex);
  }
  await page.close();
});

test('one matching rule: the published match.js answers the table as `odbackup find` does, and a search finds what find finds', async () => {
  const page = await openPage();
  const inBrowser = await page.evaluate(async (table) => {
    // The module the page itself imports, as published beside it.
    const published: string = './match.js';
    const { pathMatcher: inPage } = (await import(published)) as typeof import('../src/catalog/match.js');
    return table.map(({ query, name }) => inPage(query)(name));
  }, MATCH_TABLE);
  assert.deepEqual(inBrowser, MATCH_TABLE.map((row) => pathMatcher(row.query)(row.name)));
  assert.deepEqual(inBrowser, MATCH_TABLE.map((row) => row.matches));
  for (const query of ['drawing', 'HOUSE', '*.{png,dxf}', 'drawings/**', '**/*.txt']) {
    const found = (await search(page, query)).filter((row) => row.where.includes('on node-a')).map((row) => row.path);
    const find = odbackup(['--config', configs['node-a']!, '--json', 'find', query]);
    assert.equal(find.status, 0, find.stderr);
    const cli = (JSON.parse(find.stdout).data.paths as { path: string }[]).map((row) => row.path);
    assert.ok(cli.length > 0, `${query} finds something`);
    assert.deepEqual(found.sort(), cli.sort(), query);
  }
  await page.close();
});
