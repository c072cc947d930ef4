import { createHash } from 'node:crypto';
import type { Monitor } from '../config/types.js';
import type { HttpRequest } from '../adapters/http.js';

export const PING_EVENTS = ['start', 'success', 'fail'] as const;
export type PingEvent = (typeof PING_EVENTS)[number];

/** One heartbeat as it happened; kept as it is when it has to wait in the queue. */
export interface Ping {
  event: PingEvent;
  /** The exit code: 0 for start and success. */
  code: number;
  /** When it happened (ISO), which is not when a queued ping is delivered. */
  time: string;
  runId: string;
  node: string;
  /** One line: "FAILED (40) rsync transfer failed: sync images: …". */
  message: string;
  /** The log tail (fail) or the summary (start, success). */
  body: string;
}

/** What healthchecks.io stores of a body unless the server says otherwise (self-hosted default). */
export const DEFAULT_BODY_LIMIT = 10_000;

/** A stable key for a monitor that does not put its URL (a secret) into state.json. */
export function monitorKey(monitor: Monitor): string {
  return createHash('sha256').update(monitor.url).digest('hex').slice(0, 16);
}

/** How output names a monitor: its style and host, never its path (the ping key is in the path). */
export function monitorName(monitor: { style: string; url: string }): string {
  return `${monitor.style} ${new URL(monitor.url).host}`;
}

/**
 * What the logger masks of a URL: the whole URL, its password, and every path segment or query value long enough to
 * be a key (UUIDs, ping keys, push tokens, webhook tokens), wherever they turn up.
 */
export function secretsOf(url: string): string[] {
  const parsed = new URL(url);
  const pieces = [...parsed.pathname.split('/'), ...parsed.searchParams.values()].filter((piece) => piece.length >= 16);
  return [url, parsed.password, ...pieces.map((piece) => decodeURIComponent(piece))].filter(Boolean);
}

/** A URL as output shows it: where it goes, not what it carries. */
export function maskedUrl(url: string): string {
  return `${new URL(url).origin}/***`;
}

/** The end of a text within a byte limit: the last lines of a log tail matter most. */
export function lastBytes(text: string, limit: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= limit) return text;
  const cut = bytes.subarray(bytes.length - limit).toString('utf8');
  return cut.slice(cut.indexOf('\n') + 1);
}

function lateNote(ping: Ping): string {
  return `late: ${ping.event}${ping.event === 'fail' ? ` (exit ${ping.code})` : ''} of ${ping.time}, queued while the monitor was unreachable`;
}

/** The request one monitor style expects for a ping; a late ping is marked with its original time. */
export function pingRequest(monitor: Monitor, ping: Ping, late: boolean, bodyLimit = DEFAULT_BODY_LIMIT): HttpRequest {
  const headers = late ? { 'x-odbackup-original-time': ping.time } : undefined;
  switch (monitor.style) {
    case 'healthchecks': {
      // A late ping is history, not the current state: healthchecks takes it as a /log entry.
      const suffix = late ? '/log' : ping.event === 'start' ? '/start' : ping.event === 'fail' ? `/${ping.code}` : '';
      const url = new URL(monitor.url);
      url.pathname = `${url.pathname.replace(/\/+$/, '')}${suffix}`;
      url.searchParams.set('rid', ping.runId);
      const body = late ? `${lateNote(ping)}\n${ping.message}\n${ping.body}` : `${ping.message}\n${ping.body}`;
      return { method: 'POST', url: url.toString(), headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: lastBytes(body, bodyLimit) };
    }
    case 'uptime-kuma': {
      const url = new URL(monitor.url);
      url.searchParams.set('status', ping.event === 'fail' ? 'down' : 'up');
      url.searchParams.set('msg', late ? `${lateNote(ping)}: ${ping.message}` : ping.message);
      url.searchParams.set('ping', '');
      return { method: 'GET', url: url.toString(), headers };
    }
    case 'template': {
      const values: Record<string, string> = { event: ping.event, code: String(ping.code), node: ping.node, time: ping.time };
      const url = monitor.url.replace(/\{(event|code|node|time)\}/g, (_, name: string) => encodeURIComponent(values[name]!));
      if (monitor.method === 'GET') return { method: 'GET', url, headers };
      const body = late ? `${lateNote(ping)}\n${ping.message}\n${ping.body}` : `${ping.message}\n${ping.body}`;
      return { method: 'POST', url, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: lastBytes(body, bodyLimit) };
    }
  }
}

/** Whether the maintenance URL's answer asks the node to stay up. */
export function asksForMaintenance(answer: string): boolean {
  const text = answer.trim();
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object') return (value as { maintenance?: unknown }).maintenance === true;
  } catch {
    // not JSON: a plain word
  }
  return ['maintenance', 'debug', 'yes', 'true', '1', 'on'].includes(text.toLowerCase());
}
