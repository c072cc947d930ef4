// The catalog's page (README: Who gets what back). It reads what the web server gives this person: with people
// configured, /me/<node>/index.json (their sources, destinations and requests only), else <node>/index.json. Names
// are put in with textContent, never as HTML.
import { pathMatcher, requiredText } from './match.js';

const $ = (id) => document.getElementById(id);
const catalog = { nodes: [], loaded: new Map(), found: [] };
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

/** A snapshot's data file as text: fetched and unpacked once, then kept; a failure is not kept. */
function snapshotText(node, data) {
  const key = `${node.node}/${data}`;
  if (!catalog.loaded.has(key)) {
    catalog.loaded.set(
      key,
      (async () => {
        const response = await fetch(`${encodeURIComponent(node.node)}/${data}`);
        if (!response.ok) throw new Error(`${data}: HTTP ${response.status}`);
        let bytes = new Uint8Array(await response.arrayBuffer());
        // A server that sends .gz with Content-Encoding: gzip has had the browser unpack it already.
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
        return new TextDecoder().decode(bytes);
      })().catch((error) => {
        catalog.loaded.delete(key);
        throw error;
      }),
    );
  }
  return catalog.loaded.get(key);
}

/** One line: size, mtime, then a manifest line (a leading backslash escapes \n, \r and \\ in the name). */
function parseLine(line) {
  const first = line.indexOf('\t');
  const second = line.indexOf('\t', first + 1);
  let rest = line.slice(second + 1);
  const escaped = rest.startsWith('\\');
  if (escaped) rest = rest.slice(1);
  let name = rest.slice(18);
  if (escaped) name = name.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  return { hash: rest.slice(0, 16), size: Number(line.slice(0, first)), mtime: Number(line.slice(first + 1, second)), name };
}

/** Every snapshot this person may read, with its text; one that cannot be fetched is named in `unread`. */
async function everySnapshot() {
  const all = catalog.nodes.flatMap((node) => node.sources.flatMap((source) => source.snapshots.map((snapshot) => ({ node, source, snapshot }))));
  const texts = await Promise.allSettled(all.map(({ node, snapshot }) => snapshotText(node, snapshot.data)));
  const read = all.map((entry, index) => ({ ...entry, text: texts[index].value })).filter((entry) => entry.text !== undefined);
  const unread = [...new Set(all.filter((_, index) => texts[index].status === 'rejected').map(({ node, source }) => `${node.node}: ${source.name}`))];
  return { read, unread };
}

/**
 * The paths a query finds, with their versions by content (numbered as `odbackup versions` numbers them) and the
 * snapshot after which each was deleted. Only the lines that hold the query's required text are read.
 */
async function findPaths(query) {
  const matches = pathMatcher(query);
  const literal = requiredText(query);
  const probe = new RegExp(literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') || '\n', 'gi');
  const paths = new Map();
  const { read, unread } = await everySnapshot();
  for (const { node, source, snapshot, text } of read) {
    let lastLine = -1;
    for (probe.lastIndex = 0; probe.exec(text) !== null; ) {
      const start = text.lastIndexOf('\n', probe.lastIndex - 1 - (literal ? literal.length - 1 : 1)) + 1;
      if (start === lastLine) continue;
      lastLine = start;
      const end = text.indexOf('\n', start);
      if (end < 0) break;
      probe.lastIndex = end;
      const entry = parseLine(text.slice(start, end));
      if (!matches(entry.name)) continue;
      const key = `${node.node}\0${source.name}\0${entry.name}`;
      let path = paths.get(key);
      if (!path) paths.set(key, (path = { node, source, name: entry.name, versions: new Map(), newest: '' }));
      path.newest = snapshot.snapshot;
      let version = path.versions.get(entry.hash);
      if (!version) path.versions.set(entry.hash, (version = { number: path.versions.size + 1, hash: entry.hash, size: entry.size, mtime: entry.mtime, first: snapshot.snapshot, last: '', snapshots: 0 }));
      version.last = snapshot.snapshot;
      version.snapshots++;
    }
  }
  for (const path of paths.values()) {
    const later = path.source.snapshots.find((row) => row.snapshot > path.newest);
    if (later) path.deletedIn = later.snapshot;
  }
  return { found: [...paths.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.node.node < b.node.node ? -1 : 1)), unread };
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
  const { found, unread } = await findPaths(query);
  if (turn !== searching) return; // the person typed on
  catalog.found = found;
  list.replaceChildren(
    ...found.slice(0, 200).map((path) => {
      const item = element('li');
      const name = element('span', path.name, 'path');
      const where = `${path.source.name}${catalog.nodes.length > 1 ? ` on ${path.node.node}` : ''} · ${path.versions.size} version${path.versions.size === 1 ? '' : 's'}${path.deletedIn ? ` · deleted on ${longDate(snapshotTime(path.deletedIn))}` : ''}`;
      name.append(element('span', where, 'where'));
      item.append(name, button('Versions', () => showVersions(path)));
      return item;
    }),
  );
  const missing = unread.length ? ` Not read: ${unread.join(', ')} (it could not be fetched; the next search tries again).` : '';
  $('search-status').textContent = `${found.length} file${found.length === 1 ? '' : 's'} found for ${query}${found.length > 200 ? ' (the first 200 shown)' : ''}.${missing}`;
}

function showVersions(path) {
  const same = catalog.found.filter((other) => other.source.name === path.source.name && other.name === path.name);
  $('versions-title').textContent = path.name;
  $('versions-note').textContent = `${path.source.name}: ${path.versions.size} version${path.versions.size === 1 ? '' : 's'}, newest first.`;
  const items = [...path.versions.values()].reverse().map((version) => {
    const item = element('li');
    const saved = snapshotTime(version.first);
    const text = element('div');
    text.append(
      element('h3', `Version ${version.number}`),
      element('span', `saved ${dayAndTime(saved)} (${ago(saved)}) · ${size(version.size)} · changed ${longDate(new Date(version.mtime * 1000))}`, 'where'),
      element('span', `kept in ${version.snapshots} backup${version.snapshots === 1 ? '' : 's'} on ${same.filter((other) => other.versions.has(version.hash)).map((other) => other.node.node).join(', ')}`, 'where'),
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

/** A snapshot's files as folders to open: a folder's rows are made when it is opened. */
function folderTree(entries) {
  const root = { folders: new Map(), files: [] };
  for (const entry of entries) {
    const parts = entry.name.split('/');
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      if (!folder.folders.has(part)) folder.folders.set(part, { folders: new Map(), files: [] });
      folder = folder.folders.get(part);
    }
    folder.files.push({ ...entry, base: parts.at(-1) });
  }
  return root;
}

function folderItems(folder, prefix, context) {
  const items = [...folder.folders.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, inner]) => {
    const item = element('li');
    const details = element('details');
    const summary = element('summary', `${name}/`);
    const list = element('ul');
    details.append(summary, list);
    details.addEventListener('toggle', () => {
      if (details.open && !list.childElementCount) list.append(...folderItems(inner, `${prefix}${name}/`, context));
    });
    item.append(details);
    return item;
  });
  for (const file of folder.files) {
    const item = element('li', undefined, 'file');
    const name = element('span', file.base);
    name.append(element('span', `${size(file.size)} · changed ${longDate(new Date(file.mtime * 1000))}`, 'where'));
    item.append(name, button('Versions', () => versionsOf(context, `${prefix}${file.base}`), true));
    items.push(item);
  }
  return items;
}

async function versionsOf({ node, source }, name) {
  const { found } = await findPaths(name.replace(/[*?[\]{}\\]/g, '\\$&'));
  const path = found.find((candidate) => candidate.node === node && candidate.source.name === source.name && candidate.name === name);
  if (path) {
    catalog.found = found;
    showVersions(path);
  }
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
    return pick && { ...pick, snapshot: pick.source.snapshots.find((row) => row.snapshot === $('browse-snapshot').value) };
  };
  $('browse-open').onclick = async () => {
    const pick = chosen();
    if (!pick?.snapshot) return;
    $('browse-status').textContent = 'Opening…';
    const text = await snapshotText(pick.node, pick.snapshot.data);
    const entries = text.split('\n').filter(Boolean).map(parseLine);
    $('tree').replaceChildren(...folderItems(folderTree(entries), '', pick));
    $('browse-status').textContent = `${pick.source.name} as it was ${dayAndTime(snapshotTime(pick.snapshot.snapshot))}: ${entries.length} files. Open a folder to see inside.`;
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
  // The snapshots are read while the person types: the first search then only searches.
  everySnapshot().catch(() => undefined);
}
start().catch((error) => {
  $('search-status').textContent = `The catalog could not be read: ${error}. Open this page through a web server.`;
});
