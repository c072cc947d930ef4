// Who gets what back (OLPC's seed): Debian's nginx with the site `odbackup nginx` prints, an htpasswd with jim,
// jocinta and a teacher, a catalog published by real passes on faketime nights, and chromium with each person's
// credentials.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startNginx, writeHtpasswd } from './harness/nginx.js';
import { nightClock } from './harness/nights.js';
import { freePort } from './harness/sshd.js';
import { have, odbackup, odbackupAsync, removeDir, ROOT, tempDir, writeConfig, writeFiles } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const root = tempDir();
const www = join(root, 'www');
const requests = join(root, 'requests');
const places = { 'jim-laptop': join(root, 'places', 'jim'), 'jocinta-laptop': join(root, 'places', 'jocinta'), 'staff-share': join(root, 'places', 'staff') };
const DRAWING = 'drawings/house-drawing.dxf';
const VERSIONS = ['house v1', 'house v2 (a porch)', 'house v3 (a second floor)'];
const PASSWORDS = { jim: 'jim-secret', jocinta: 'jocinta-secret', 'ms-tamm': 'teacher-secret' };
const screenshots = join(ROOT, 'dist', 'screenshots');
let config = '';
let browser: Browser | undefined;
let web: Awaited<ReturnType<typeof startNginx>> | undefined;
const skip = !have('nginx') && !existsSync('/usr/sbin/nginx') ? 'needs nginx (apt-get install nginx)' : !existsSync(CHROMIUM) ? 'needs chromium' : false;

async function night(date: string): Promise<void> {
  const at = nightClock(`${date} 03:00:00`);
  const pass = await odbackupAsync(['--config', config, 'cycle', '--no-suspend'], at.env, at.prefix);
  assert.equal(pass.status, 0, `${date}: ${pass.stdout}${pass.stderr}`);
}

before(async () => {
  if (skip) return;
  writeFiles(join(root, 'jim'), { 'homework/essay.txt': 'my essay' });
  writeFiles(join(root, 'jocinta'), { 'music/song.mid': 'la la la', 'letters/grandma.txt': 'Dear grandma' });
  writeFiles(join(root, 'shared'), { 'class-photo.jpg': 'smile' });
  for (const folder of [www, ...Object.values(places), ...Object.keys(PASSWORDS).map((person) => join(requests, person))]) mkdirSync(folder, { recursive: true });
  config = writeConfig(
    join(root, 'node'),
    [
      { name: 'jim-laptop', group: 'laptops', from: join(root, 'jim') },
      { name: 'jocinta-laptop', group: 'laptops', from: join(root, 'jocinta') },
      { name: 'shared', group: 'school', from: join(root, 'shared') },
    ],
    {
      node: 'school-node',
      retention: { daily: 30, weekly: 0, monthly: 0 },
      catalog: { to: www, requests },
      restore: { destinations: places },
      people: {
        jim: { sources: ['jim-laptop', 'shared'], destinations: ['jim-laptop'] },
        jocinta: { sources: ['jocinta-laptop', 'shared'], destinations: ['jocinta-laptop'] },
        'ms-tamm': { staff: true },
      },
    },
  );
  for (const [index, content] of VERSIONS.entries()) {
    writeFiles(join(root, 'jim'), { [DRAWING]: content });
    await night(`2026-11-0${index + 1}`);
  }
  const port = await freePort();
  writeHtpasswd(join(root, 'htpasswd'), PASSWORDS);
  const site = odbackup(['--config', config, 'nginx', '--htpasswd', join(root, 'htpasswd'), '--listen', `127.0.0.1:${port}`, '--user', 'root']);
  assert.equal(site.status, 0, site.stderr);
  web = await startNginx(join(root, 'nginx'), site.stdout, port);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  mkdirSync(screenshots, { recursive: true });
});
after(async () => {
  await browser?.close();
  await web?.stop();
  removeDir(root);
});

/** A person's browser: logged in by the web server, every URL it asks for recorded. */
async function as(person: keyof typeof PASSWORDS, options: { width?: number; bypassCSP?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; asked: string[] }> {
  const context = await browser!.newContext({
    httpCredentials: { username: person, password: PASSWORDS[person] },
    viewport: { width: options.width ?? 1280, height: 900 },
    bypassCSP: options.bypassCSP ?? false,
  });
  const asked: string[] = [];
  context.on('request', (request) => void asked.push(request.url()));
  const page = await context.newPage();
  await page.goto(web!.url);
  await page.waitForSelector('body[data-ready="true"]');
  return { context, page, asked };
}

const cards = (page: Page) => page.$$eval('#sources .card h3', (titles) => titles.map((title) => title.textContent ?? ''));

async function search(page: Page, query: string): Promise<string[]> {
  await page.fill('#search', query);
  // Waited on as a locator: the site's Content-Security-Policy forbids what a string to evaluate would need.
  await page.locator('#search-status', { hasText: `found for ${query}.` }).waitFor();
  return page.$$eval('#results li .path', (paths) => paths.map((path) => path.firstChild?.textContent ?? ''));
}

test('Jim sees his laptop and the shared folder only, gets version 2 of his drawing back in one click; his browser never asks for Jocinta\'s data, a direct fetch is 403', { skip }, async () => {
  const { context, page, asked } = await as('jim');
  assert.match((await page.textContent('h1'))!, /Your backups, jim/);
  assert.deepEqual((await cards(page)).sort(), ['jim-laptop', 'shared']);
  assert.match((await page.textContent('#sources'))!, /Last backed up on .* at/);
  assert.deepEqual(await search(page, 'drawing'), [DRAWING]);
  await page.click('#results li:first-child button');
  assert.equal(await page.locator('#timeline li').count(), 3);
  await page.click('#timeline li:has-text("Version 2") button');
  assert.deepEqual(await page.$$eval('#destination option', (options) => options.map((option) => option.textContent)), ['jim-laptop']);
  await page.click('#request-send');
  await page.locator('#request-status', { hasText: /^Asked\./ }).waitFor();
  const [saved] = readdirSync(join(requests, 'jim'));
  assert.match(saved!, /^house-drawing\.dxf-v2-[a-z0-9]+\.json$/, 'the request is in his own folder');
  assert.match((await page.textContent('#requests'))!, /Waiting: version 2 of drawings\/house-drawing\.dxf, to jim-laptop/);

  await night('2026-11-04');
  const folder = saved!.slice(0, -'.json'.length);
  assert.equal(readFileSync(join(places['jim-laptop'], folder, DRAWING), 'utf8'), VERSIONS[1]);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.match((await page.textContent('#requests'))!, new RegExp(`jim/${folder}Done .*: 1 file \\(18 B\\) are in jim-laptop/${folder}\\.`));

  assert.ok(asked.length > 5, 'requests were recorded');
  assert.deepEqual(asked.filter((url) => /jocinta/.test(url)), [], 'nothing of Jocinta was asked for');
  const index = JSON.parse(readFileSync(join(www, 'school-node', 'index.json'), 'utf8'));
  const hers = index.sources.find((source: { name: string }) => source.name === 'jocinta-laptop').index.folder;
  for (const path of [`school-node/${hers}/c0.gz`, `school-node/${hers}/g0.gz`, 'school-node/index.json', 'school-node/people/jocinta/index.json']) {
    const response = await context.request.get(`${web!.url}${path}`);
    assert.equal(response.status(), 403, path);
  }
  const put = await context.request.put(`${web!.url}me/requests/../jocinta/x.json`, { data: '{}' });
  assert.notEqual(put.status(), 201, 'no request outside his own folder');
  assert.deepEqual(readdirSync(join(requests, 'jocinta')), []);
  await page.screenshot({ path: join(screenshots, 'jim-1280.png'), fullPage: true });
  await context.close();
});

test("a request for Jocinta's files written into Jim's folder by hand is refused by the node, and nothing is written", { skip }, async () => {
  writeFileSync(join(requests, 'jim', 'sneaky.json'), JSON.stringify({ source: 'jocinta-laptop', path: '.', destination: 'jim-laptop' }));
  writeFileSync(join(requests, 'jim', 'elsewhere.json'), JSON.stringify({ source: 'shared', path: '.', destination: 'jocinta-laptop' }));
  await night('2026-11-05');
  const state = JSON.parse(readFileSync(join(root, 'node', 'state', 'state.json'), 'utf8'));
  const answer = (id: string) => state.requests.find((request: { id: string }) => request.id === id);
  assert.match(answer('jim/sneaky').message, /^refused: jim may not ask for the files of jocinta-laptop; nothing was written$/);
  assert.match(answer('jim/elsewhere').message, /^refused: jocinta-laptop is not jim's destination; nothing was written$/);
  assert.equal(existsSync(join(places['jim-laptop'], 'sneaky')), false);
  assert.deepEqual(readdirSync(places['jocinta-laptop']), []);
});

test('the teacher sees everything; Jocinta restores her whole laptop from her own click, on a phone', { skip }, async () => {
  const teacher = await as('ms-tamm');
  assert.deepEqual((await cards(teacher.page)).sort(), ['jim-laptop', 'jocinta-laptop', 'shared']);
  await teacher.context.close();

  const { context, page, asked } = await as('jocinta', { width: 390 });
  assert.deepEqual((await cards(page)).sort(), ['jocinta-laptop', 'shared']);
  await page.selectOption('#browse-source', { label: 'jocinta-laptop' });
  await page.click('#browse-open');
  await page.waitForSelector('#tree li');
  await page.click('#tree summary:has-text("letters/")');
  await page.locator('#tree li.file', { hasText: 'grandma.txt' }).waitFor();
  await page.click('#browse-all');
  assert.deepEqual(await page.$$eval('#destination option', (options) => options.map((option) => option.textContent)), ['jocinta-laptop']);
  await page.click('#request-send');
  await page.locator('#request-status', { hasText: /^Asked\./ }).waitFor();
  await page.screenshot({ path: join(screenshots, 'jocinta-390.png'), fullPage: true });
  await night('2026-11-06');
  const [folder] = readdirSync(places['jocinta-laptop']);
  assert.equal(readFileSync(join(places['jocinta-laptop'], folder!, 'letters/grandma.txt'), 'utf8'), 'Dear grandma');
  assert.equal(readFileSync(join(places['jocinta-laptop'], folder!, 'music/song.mid'), 'utf8'), 'la la la');
  assert.deepEqual(asked.filter((url) => /jim-laptop|\/jim\//.test(url)), [], 'nothing of Jim was asked for');
  await context.close();
});

test('axe-core finds nothing serious on the page, at 1280 px and at 390 px, with the versions and the request open', { skip }, async () => {
  for (const width of [1280, 390]) {
    const { context, page } = await as('jim', { width, bypassCSP: true });
    await search(page, 'drawing');
    await page.click('#results li:first-child button');
    await page.click('#timeline li:has-text("Version 1") button');
    await page.addScriptTag({ path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
    const violations = await page.evaluate(async () => {
      const result = await (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run();
      return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.length }));
    });
    assert.deepEqual(violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical'), [], `at ${width} px`);
    await page.screenshot({ path: join(screenshots, `versions-${width}.png`), fullPage: true });
    await context.close();
  }
});
