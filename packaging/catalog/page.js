// The catalog's page (README: Who gets what back). It reads what the web server gives this person: with people
// configured, /me/<node>/index.json (their sources, destinations and requests only), else <node>/index.json; then
// only the pieces of a source's path index that a search, a file's versions or an opened folder need
// (path-index.js). Names are put in with textContent, never as HTML.
import { pathMatcher } from './match.js';
import { candidateChunks, gramShard, newestPlace, parseFolder, parseGramLine, parseRecord, queryGrams, versionAt } from './path-index.js';

const $ = (id) => document.getElementById(id);
const catalog = { nodes: [], pieces: new Map(), found: [] };
/** Search results shown; the search reads chunks until it has this many. */
const SHOWN = 200;
/** Pieces kept once fetched (a chunk is a few KiB unpacked): the page's memory stays small whatever the store's size. */
const KEPT_PIECES = 300;
/** Rows of one folder made at once. */
const FOLDER_ROWS = 1000;
const locale = undefined; // the reader's own language and time zone
const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}
function button(text, onClick, quiet = false) {
  const node = element('button', text, quiet ? 'quiet' : undefined);
  node.type = 'button';
  node.addEventListener('click', onClick);
  return node;
}
const size = (bytes) => (bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KiB` : bytes < 1073741824 ? `${(bytes / 1048576).toFixed(1)} MiB` : `${(bytes / 1073741824).toFixed(2)} GiB`);
const snapshotTime = (name) => new Date(name.replace(/^(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1T$2:$3:$4Z'));

/** "3 weeks ago", "in 5 hours". */
function ago(date) {
  const seconds = (date.getTime() - Date.now()) / 1000;
  for (const [unit, length] of [['year', 31536000], ['month', 2592000], ['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60]])
    if (Math.abs(seconds) >= length) return relative.format(Math.round(seconds / length), unit);
  return relative.format(Math.round(seconds), 'second');
}
/** "today at 11:32", "yesterday at 03:00", "on Monday 7 December at 03:00". */
function dayAndTime(date) {
  const time = date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  const days = Math.round((new Date().setHours(0, 0, 0, 0) - new Date(date).setHours(0, 0, 0, 0)) / 86400000);
  if (days === 0) return `today at ${time}`;
  if (days === 1) return `yesterday at ${time}`;
  return `on ${date.toLocaleDateString(locale, { weekday: 'long', day: 'numeric', month: 'long' })} at ${time}`;
}
const longDate = (date) => date.toLocaleDateString(locale, { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric' });

async function fetchJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** This person's part of a node's catalog, or (no people configured) the whole of it. */
async function nodeIndex(name) {
  const node = encodeURIComponent(name);
  const mine = await fetch(`me/${node}/index.json`, { cache: 'no-store' });
  if (mine.ok) return { ...(await mine.json()), personal: true };
  return { ...(await fetchJson(`${node}/index.json`)), personal: false };
}

/** A piece of a source's path index as lines: fetched and unpacked once, then kept while it is recent; a failure is not kept. */
function piece(node, source, name) {
  const url = `${encodeURIComponent(node.node)}/${source.index.folder}/${name}`;
  const kept = catalog.pieces.get(url);
  if (kept) {
    catalog.pieces.delete(url);
    catalog.pieces.set(url, kept);
    return kept;
  }
  const loading = (async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    let bytes = new Uint8Array(await response.arrayBuffer());
    // A server that sends .gz with Content-Encoding: gzip has had the browser unpack it already.
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    const lines = new TextDecoder().decode(bytes).split('\n');
    lines.pop();
    return lines;
  })().catch((error) => {
    catalog.pieces.delete(url);
    throw error;
  });
  catalog.pieces.set(url, loading);
  if (catalog.pieces.size > KEPT_PIECES) catalog.pieces.delete(catalog.pieces.keys().next().value);
  return loading;
}

const chunk = async (node, source, number) => (await piece(node, source, `c${number}.gz`)).map(parseRecord).filter(Boolean);

/** A path as the page shows it: its versions numbered as `odbackup versions` numbers them, and when it was deleted. */
function shownPath(node, source, record) {
  const snapshots = source.snapshots;
  const newest = newestPlace(record);
  return {
    node,
    source,
    name: record.name,
    record,
    versions: record.versions.map((version, at) => ({
      number: at + 1,
      hash: version.hash,
      size: version.size,
      mtime: version.mtime,
      first: snapshots[version.runs[0][0]].snapshot,
      snapshots: version.runs.reduce((sum, [first, last]) => sum + last - first + 1, 0),
    })),
    deletedIn: newest < snapshots.length - 1 ? snapshots[newest + 1].snapshot : undefined,
  };
}

/** The chunks of a source that can hold what a query finds: those with every trigram of its required text. */
async function chunksFor(node, source, grams) {
  if (grams.length === 0) return Array.from({ length: source.index.chunks }, (_, number) => number);
  const shards = new Map();
  await Promise.all(
    [...new Set(grams.map((gram) => gramShard(gram, source.index.shards)))].map(async (shard) => {
      const lines = await piece(node, source, `g${shard}.gz`);
      shards.set(shard, new Map(lines.map(parseGramLine).filter(Boolean).map(({ gram, chunks }) => [gram, chunks])));
    }),
  );
  return candidateChunks(grams, (gram) => shards.get(gramShard(gram, source.index.shards)).get(gram) ?? []);
}

/**
 * The paths a query finds in every source this person may read, reading only the chunks that can hold them, a few
 * at a time, until SHOWN are found in a source. A source that cannot be read is named in `unread`.
 */
async function findPaths(query) {
  const matches = pathMatcher(query);
  const grams = queryGrams(query);
  const found = [];
  const unread = [];
  let more = false;
  const sources = catalog.nodes.flatMap((node) => node.sources.map((source) => ({ node, source })));
  await Promise.all(
    sources.map(async ({ node, source }) => {
      // A source with no snapshot yet has no index; one published by an older odbackup has another format.
      if (!source.index) {
        if (node.version !== 2 && source.snapshots.length) unread.push(`${node.node}: ${source.name} (published by an older odbackup: it can be searched after that node's next pass)`);
        return;
      }
      try {
        const chunks = await chunksFor(node, source, grams);
        let count = 0;
        let at = 0;
        for (; at < chunks.length && count < SHOWN; at += 6) {
          const read = await Promise.all(chunks.slice(at, at + 6).map((number) => chunk(node, source, number)));
          const matching = read.flat().filter((record) => matches(record.name));
          count += matching.length;
          found.push(...matching.map((record) => shownPath(node, source, record)));
        }
        if (at < chunks.length) more = true;
      } catch {
        unread.push(`${node.node}: ${source.name} (it could not be fetched; the next search tries again)`);
      }
    }),
  );
  found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.node.node < b.node.node ? -1 : 1));
  return { found, unread, more };
}

let searching = 0;
async function search(query) {
  const turn = ++searching;
  const list = $('results');
  if (!query) {
    list.replaceChildren();
    $('search-status').textContent = '';
    return;
  }
  $('search-status').textContent = 'Looking…';
  const { found, unread, more } = await findPaths(query);
  if (turn !== searching) return; // the person typed on
  catalog.found = found;
  list.replaceChildren(
    ...found.slice(0, SHOWN).map((path) => {
      const item = element('li');
      const name = element('span', path.name, 'path');
      const where = `${path.source.name}${catalog.nodes.length > 1 ? ` on ${path.node.node}` : ''} · ${path.versions.length} version${path.versions.length === 1 ? '' : 's'}${path.deletedIn ? ` · deleted on ${longDate(snapshotTime(path.deletedIn))}` : ''}`;
      name.append(element('span', where, 'where'));
      item.append(name, button('Versions', () => showVersions(path)));
      return item;
    }),
  );
  const missing = unread.length ? ` Not read: ${unread.join('; ')}.` : '';
  const shown = more || found.length > SHOWN ? ` The first ${SHOWN} are shown${more ? ' and more may match' : ''}: type more of the name to narrow it.` : '';
  $('search-status').textContent = `${more ? 'More than ' : ''}${Math.min(found.length, more ? SHOWN : found.length)} file${found.length === 1 ? '' : 's'} found for ${query}.${shown}${missing}`;
}

function showVersions(path) {
  const same = [path, ...catalog.found.filter((other) => other !== path && other.source.name === path.source.name && other.name === path.name)];
  $('versions-title').textContent = path.name;
  $('versions-note').textContent = `${path.source.name}: ${path.versions.length} version${path.versions.length === 1 ? '' : 's'}, newest first.`;
  const items = [...path.versions].reverse().map((version) => {
    const item = element('li');
    const saved = snapshotTime(version.first);
    const text = element('div');
    text.append(
      element('h3', `Version ${version.number}`),
      element('span', `saved ${dayAndTime(saved)} (${ago(saved)}) · ${size(version.size)} · changed ${longDate(new Date(version.mtime * 1000))}`, 'where'),
      element('span', `kept in ${version.snapshots} backup${version.snapshots === 1 ? '' : 's'} on ${same.filter((other) => other.versions.some((candidate) => candidate.hash === version.hash)).map((other) => other.node.node).join(', ')}`, 'where'),
    );
    item.append(text, button(`Get version ${version.number} back`, () => askFor(path.node, path.source.name, path.name, version.hash, `version ${version.number} of ${path.name}`, `v${version.number}`)));
    return item;
  });
  if (path.deletedIn) {
    const gone = element('li', `Deleted on ${longDate(snapshotTime(path.deletedIn))}: the backups after that do not have it.`, 'deleted');
    items.unshift(gone);
  }
  $('timeline').replaceChildren(...items);
  $('versions').hidden = false;
  $('request').hidden = true;
  $('versions-title').tabIndex = -1;
  $('versions-title').focus();
}

const waitingKey = 'odbackup-waiting';
const waitingRequests = () => JSON.parse(localStorage.getItem(waitingKey) ?? '[]');

/** Asking for a file, a folder or all of a backup: the request goes straight into the person's own folder. */
function askFor(node, source, path, version, what, label) {
  const select = $('destination');
  select.replaceChildren(...node.destinations.map((name) => element('option', name)));
  $('request-what').textContent = `You asked for ${what}, from ${source}.`;
  $('request-status').textContent = node.destinations.length ? '' : 'There is nowhere you may send files: ask your teacher or the person who looks after the backups.';
  $('request-send').disabled = node.destinations.length === 0;
  $('request-fallback').hidden = true;
  const base = (path === '.' ? source : path.slice(path.lastIndexOf('/') + 1)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40) || 'file';
  const name = `${base}-${label}-${Date.now().toString(36)}`;
  $('request-send').onclick = async () => {
    const request = { source, path, version, destination: select.value, node: node.node };
    const text = `${JSON.stringify(request, null, 2)}\n`;
    $('request-send').disabled = true;
    $('request-status').textContent = 'Sending…';
    let sent = false;
    if (node.personal) {
      const response = await fetch(`me/requests/${name}.json`, { method: 'PUT', body: text, headers: { 'Content-Type': 'application/json' } }).catch(() => undefined);
      sent = Boolean(response?.ok);
    }
    if (sent) {
      localStorage.setItem(waitingKey, JSON.stringify([...waitingRequests(), { node: node.node, name, what, destination: select.value, at: new Date().toISOString() }]));
      $('request-status').textContent = `Asked. The backup computer brings it back at its next wake, ${dayAndTime(new Date(node.nextWake))}, into a folder named ${name} on ${select.value}.`;
      showRequests();
    } else {
      $('request-status').textContent = '';
      const save = $('request-save');
      save.download = `${name}.json`;
      save.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      $('request-fallback').hidden = false;
      $('request-send').disabled = false;
    }
  };
  $('request').hidden = false;
  $('request-title').tabIndex = -1;
  $('request-title').focus();
}

function showNodes() {
  $('nodes').replaceChildren(
    ...catalog.nodes.map((node) => {
      const card = element('li', undefined, 'card');
      const pass = node.lastPass;
      const ok = pass && pass.exitCode === 0;
      const state = element('p', pass ? (pass.summary ?? (ok ? 'OK' : `FAILED (${pass.exitCode}) ${pass.meaning}`)) : 'No backup has run yet.', ok ? 'ok' : 'bad');
      const started = pass ? `Last run ${dayAndTime(new Date(pass.startedAt))}.` : '';
      card.append(element('h3', node.node), state, element('p', `${started} Next ${dayAndTime(new Date(node.nextWake))} (${ago(new Date(node.nextWake))}).`, 'muted'));
      return card;
    }),
  );
}

function showSources() {
  const cards = catalog.nodes.flatMap((node) =>
    node.sources.map((source) => {
      const card = element('li', undefined, 'card');
      const saved = source.lastSaved ? `Last backed up ${dayAndTime(new Date(source.lastSaved))} (${ago(new Date(source.lastSaved))}).` : 'Not backed up yet.';
      const presence = source.presence?.away ? (source.presence.overdue ? ' Away for too long: bring it to school, switched on.' : ' Away at the last try: it is backed up at the next wake it is on the network.') : '';
      card.append(element('h3', `${source.name}${catalog.nodes.length > 1 ? ` on ${node.node}` : ''}`), element('p', `${saved}${presence}`, source.presence?.overdue ? 'bad' : undefined));
      return card;
    }),
  );
  $('sources').replaceChildren(...cards);
  if (cards.length === 0) $('sources').append(element('li', 'Nothing you may see is backed up here.', 'card'));
}

/** A request in words: waiting, done (where the files went, how many), or why not. */
function requestText(request) {
  if (request.status === 'done') return `Done ${dayAndTime(new Date(request.at))}: ${request.files} file${request.files === 1 ? '' : 's'} (${size(request.bytes)}) are in ${request.destination}/${request.id.slice(request.id.lastIndexOf('/') + 1)}.`;
  if (request.status === 'serving') return 'Being brought back now.';
  return `Not done: ${request.message.replace(/^refused: /, '')}`;
}

function showRequests() {
  const answered = catalog.nodes.flatMap((node) => node.requests.map((request) => ({ node, request })));
  const answeredNames = new Set(answered.map(({ node, request }) => `${node.node}/${request.id.slice(request.id.lastIndexOf('/') + 1)}`));
  const waiting = waitingRequests().filter((entry) => !answeredNames.has(`${entry.node}/${entry.name}`));
  localStorage.setItem(waitingKey, JSON.stringify(waiting));
  const items = [
    ...waiting.map((entry) => {
      const item = element('li');
      item.append(element('span', entry.name, 'path'), element('span', `Waiting: ${entry.what}, to ${entry.destination}; the backup computer brings it back at its next wake.`));
      return item;
    }),
    ...answered.map(({ request }) => {
      const item = element('li');
      item.append(element('span', request.id, 'path'), element('span', requestText(request), request.status === 'failed' ? 'bad' : request.status === 'done' ? 'ok' : undefined));
      return item;
    }),
  ];
  $('requests').replaceChildren(...items);
  $('no-requests').hidden = items.length > 0;
}

/** A source's folders (dirs.gz): each with its own files' chunks and the snapshots that have a file under it. */
async function foldersOf(node, source) {
  const folders = new Map();
  for (const folder of (await piece(node, source, 'dirs.gz')).map(parseFolder).filter(Boolean)) folders.set(folder.name, { ...folder, children: [] });
  for (const folder of folders.values()) if (folder.name !== '') folders.get(folder.name.includes('/') ? folder.name.slice(0, folder.name.lastIndexOf('/')) : '')?.children.push(folder);
  return folders;
}

/** One folder's rows as the snapshot at `place` has it: its folders to open, and its files with their own chunks fetched. */
async function folderItems(folder, pick) {
  const { node, source, place } = pick;
  const inside = folder.name === '' ? '' : `${folder.name}/`;
  const items = folder.children
    .filter((child) => child.first <= place && place <= child.last)
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((child) => {
      const item = element('li');
      const details = element('details');
      const summary = element('summary', `${child.name.slice(inside.length)}/`);
      const list = element('ul');
      details.append(summary, list);
      details.addEventListener('toggle', async () => {
        if (details.open && !list.childElementCount) list.append(...(await folderItems(child, pick)));
      });
      item.append(details);
      return item;
    });
  const files = [];
  for (const number of folder.chunks)
    for (const record of await chunk(node, source, number)) {
      const version = record.name.startsWith(inside) && !record.name.slice(inside.length).includes('/') && versionAt(record, place);
      if (version) files.push({ record, version });
    }
  for (const { record, version } of files.slice(0, FOLDER_ROWS)) {
    const item = element('li', undefined, 'file');
    const name = element('span', record.name.slice(inside.length));
    name.append(element('span', `${size(version.size)} · changed ${longDate(new Date(version.mtime * 1000))}`, 'where'));
    item.append(name, button('Versions', () => showVersions(shownPath(node, source, record)), true));
    items.push(item);
  }
  if (files.length > FOLDER_ROWS) items.push(element('li', `The first ${FOLDER_ROWS} of ${files.length} files are shown: search for a name to find the others.`, 'muted'));
  return items;
}

function browseChoices() {
  const sources = catalog.nodes.flatMap((node) => node.sources.map((source) => ({ node, source })));
  $('browse-source').replaceChildren(...sources.map(({ node, source }, index) => Object.assign(element('option', `${source.name}${catalog.nodes.length > 1 ? ` on ${node.node}` : ''}`), { value: String(index) })));
  const fill = () => {
    const chosen = sources[Number($('browse-source').value)];
    $('browse-snapshot').replaceChildren(
      ...(chosen ? [...chosen.source.snapshots].reverse() : []).map((row, index) =>
        Object.assign(element('option', `${index === 0 ? 'newest: ' : ''}${dayAndTime(snapshotTime(row.snapshot))} (${row.files} files)`), { value: row.snapshot }),
      ),
    );
  };
  $('browse-source').onchange = fill;
  fill();
  const chosen = () => {
    const pick = sources[Number($('browse-source').value)];
    const place = pick ? pick.source.snapshots.findIndex((row) => row.snapshot === $('browse-snapshot').value) : -1;
    return pick && { ...pick, place, snapshot: pick.source.snapshots[place] };
  };
  $('browse-open').onclick = async () => {
    const pick = chosen();
    if (!pick?.snapshot || !pick.source.index) return;
    $('browse-status').textContent = 'Opening…';
    const top = await foldersOf(pick.node, pick.source).then((folders) => folders.get(''), () => undefined);
    if (!top) {
      $('browse-status').textContent = `${pick.source.name} could not be read from ${pick.node.node}: try again later.`;
      return;
    }
    $('tree').replaceChildren(...(await folderItems(top, pick)));
    $('browse-status').textContent = `${pick.source.name} as it was ${dayAndTime(snapshotTime(pick.snapshot.snapshot))}: ${pick.snapshot.files} files. Open a folder to see inside.`;
  };
  $('browse-all').onclick = () => {
    const pick = chosen();
    if (pick?.snapshot) askFor(pick.node, pick.source.name, '.', pick.snapshot.snapshot, `all of ${pick.source.name} as it was ${dayAndTime(snapshotTime(pick.snapshot.snapshot))}`, 'all');
  };
}

async function start() {
  const names = await fetchJson('nodes.json');
  const nodes = await Promise.all(names.map((name) => nodeIndex(name).catch(() => undefined)));
  catalog.nodes = nodes.filter(Boolean);
  const person = catalog.nodes.find((node) => node.person)?.person;
  if (person) {
    $('title').textContent = `Your backups, ${person}`;
    $('who').textContent = `You see your own folders and the ones shared with you. Files you get back go to your own places.`;
  }
  showNodes();
  showSources();
  showRequests();
  browseChoices();
  let typing;
  $('search').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => search($('search').value.trim()).catch((error) => ($('search-status').textContent = String(error))), 200);
  });
  document.body.dataset.ready = 'true';
}
start().catch((error) => {
  $('search-status').textContent = `The catalog could not be read: ${error}. Open this page through a web server.`;
});
