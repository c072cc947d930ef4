// The catalog's page in a real browser (Debian's chromium, driven by playwright-core), on a catalog two nodes
// published from real passes: what Jim and a teacher see and do.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  for (const folder of [requests, published, jimLaptop]) mkdirSync(folder, { recursive: true });
  for (const node of NODES)
    configs[node] = writeConfig(join(root, node), [{ name: 'work', group: 'laptops', from: source }], {
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

async function search(page: Page, query: string): Promise<string[][]> {
  await page.fill('#search', query);
  await page.click('#search-form button');
  await page.waitForFunction(`document.getElementById('search-status').textContent.includes(${JSON.stringify(`match ${query}`)})`);
  return page.$$eval('#results tbody tr', (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')));
}

test('both nodes side by side: each last pass OK, and its next pass', async () => {
  const page = await openPage();
  const boxes = await page.$$eval('#nodes .node', (nodes) => nodes.map((node) => node.textContent ?? ''));
  assert.equal(boxes.length, 2);
  for (const [index, node] of NODES.entries()) {
    assert.match(boxes[index]!, new RegExp(`^${node}OK`));
    assert.match(boxes[index]!, /next pass /);
  }
  await page.close();
});

test('Jim searches "drawing", sees three versions held by both nodes, saves a request for version 2; after the next pass it is done, the bytes are night 2\'s', async () => {
  const page = await openPage();
  const found = await search(page, 'drawing');
  assert.deepEqual(
    found.map((row) => row.slice(0, 4)),
    NODES.map((node) => [node, 'work', DRAWING, '3']),
  );
  await page.click('#results tbody tr:first-child a.path');
  const versions = await page.$$eval('#versions tbody tr', (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')));
  assert.deepEqual(
    versions.map((row) => [row[0], row[1], row[6]]),
    VERSIONS.map((content, index) => [String(index + 1), `${content.length} B`, NODES.join(', ')]),
  );
  await page.click('#versions tbody tr:nth-child(2) button');
  const request = JSON.parse((await page.textContent('#request-json'))!);
  assert.equal(request.destination, 'jim-laptop');
  assert.equal(request.node, 'node-a');
  const download = page.waitForEvent('download');
  await page.click('#request-save');
  const saved = await download;
  const name = saved.suggestedFilename();
  assert.match(name, /^house-drawing\.dxf-v2-[a-z0-9]+\.json$/);
  await saved.saveAs(join(requests, name));

  await night('node-a', '2026-11-04');
  await night('node-b', '2026-11-04');
  const id = name.slice(0, -'.json'.length);
  assert.equal(readFileSync(join(jimLaptop, id, DRAWING), 'utf8'), VERSIONS[1]);
  assert.equal(existsSync(join(jimLaptop, `${id}`, 'docs')), false, 'only what was asked for');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  const results = await page.$$eval('#requests tbody tr', (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')));
  const served = results.filter((row) => row[1] === id);
  assert.deepEqual(
    served.map((row) => [row[0], row[2]]),
    [['node-a', 'done']],
    'served by the node it names, once',
  );
  assert.match(served[0]![4]!, /^restored 1 file \(18 B\) of work 2026-11-02T0300\d\dZ/);
  await page.close();
});

test("Jocinta's laptop was reflashed: she asks for all of the latest snapshot, and the next pass restores every file", async () => {
  const page = await openPage();
  await page.selectOption('#snapshot-source', { label: 'node-b: work' });
  const latest = await page.$eval('#snapshot', (select) => (select as unknown as { selectedOptions: { dataset: { snapshot: string } }[] }).selectedOptions[0]!.dataset.snapshot);
  await page.click('#request-all');
  const request = JSON.parse((await page.textContent('#request-json'))!);
  assert.deepEqual(request, { source: 'work', path: '.', version: latest, destination: 'jim-laptop', node: 'node-b' });
  const download = page.waitForEvent('download');
  await page.click('#request-save');
  const saved = await download;
  await saved.saveAs(join(requests, saved.suggestedFilename()));
  await night('node-b', '2026-11-05');
  const restored = join(jimLaptop, saved.suggestedFilename().slice(0, -'.json'.length));
  assert.equal(readFileSync(join(restored, 'docs/letter.txt'), 'utf8'), 'Dear Jocinta');
  assert.equal(readFileSync(join(restored, DRAWING), 'utf8'), VERSIONS[2]);
  assert.equal(readFileSync(join(restored, XSS_NAME), 'utf8'), 'not a script');
  await page.close();
});

test('names are shown as text: markup in a name stays text, bytes that are not UTF-8 show as \\xNN', async () => {
  const page = await openPage();
  const png = await search(page, '*.png');
  assert.deepEqual(
    png.map((row) => row[2]),
    [XSS_NAME, XSS_NAME],
  );
  assert.equal(await page.locator('#results img').count(), 0, 'no element made from a name');
  const latin = await search(page, 'caf*');
  assert.deepEqual(
    latin.map((row) => row[2]),
    ['caf\\xe9.txt', 'caf\\xe9.txt'],
  );
  await page.selectOption('#snapshot-source', { index: 0 });
  await page.click('#list');
  await page.waitForSelector('#listing:not([hidden])');
  const listed = await page.$$eval('#listing tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent));
  assert.ok(listed.includes('docs/letter.txt') && listed.includes(XSS_NAME), listed.join(', '));
  assert.deepEqual(dialogs, [], 'no script ran');
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
    const found = (await search(page, query)).filter((row) => row[0] === 'node-a').map((row) => row[2]);
    const find = odbackup(['--config', configs['node-a']!, '--json', 'find', query]);
    assert.equal(find.status, 0, find.stderr);
    const cli = (JSON.parse(find.stdout).data.paths as { path: string }[]).map((row) => row.path);
    assert.ok(cli.length > 0, `${query} finds something`);
    assert.deepEqual(found.sort(), cli.sort(), query);
  }
  await page.close();
});
