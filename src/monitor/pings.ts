import { createHash } from 'node:crypto';
import type { Monitor } from '../config/types.js';
import type { HttpRequest } from '../adapters/http.js';
import type { Ping } from '../state/run-state.js';

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

/** The end of a text within a byte limit: the last lines of a log tail matter most. */
export function lastBytes(text: string, limit: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= limit) return text;
  const cut = bytes.subarray(bytes.length - limit).toString('utf8');
  return cut.slice(cut.indexOf('\n') + 1);
}

function lateNote(ping: Ping): string {
  return `late: ${ping.event}${ping.event === 'fail' ? ` (exit ${ping.exitCode})` : ''} of ${ping.time}, queued while the monitor was unreachable`;
}

/** The request one monitor style expects for a ping; a late ping is marked with its original time. */
export function pingRequest(monitor: Monitor, ping: Ping, late: boolean, bodyLimit = DEFAULT_BODY_LIMIT): HttpRequest {
  const headers = late ? { 'x-odbackup-original-time': ping.time } : undefined;
  switch (monitor.style) {
    case 'healthchecks': {
      // A late ping is history, not the current state: healthchecks takes it as a /log entry.
      const suffix = late ? '/log' : ping.event === 'start' ? '/start' : ping.event === 'fail' ? `/${ping.exitCode}` : '';
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
      const values: Record<string, string> = { event: ping.event, code: String(ping.exitCode), node: ping.node, time: ping.time };
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
