import { createHash } from 'node:crypto';
import { counted } from '../words.js';
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

/**
 * A body within a byte limit: the head whole (what happened, a late note), then the newest lines of the tail, with
 * a line saying how many older lines were cut between them. A monitor shows the head first; the tail's end is where
 * the failure is.
 */
export function fitBody(head: string, tail: string, limit: number): string {
  const whole = tail ? `${head}\n${tail}` : head;
  if (Buffer.byteLength(whole) <= limit) return whole;
  const lines = tail.split('\n');
  const marker = (cut: number) => `[… ${counted(cut, 'older line')} cut]`;
  // Counted with the longest marker: fewer lines cut never make it longer.
  let bytes = Buffer.byteLength(head) + 1 + Buffer.byteLength(marker(lines.length));
  if (bytes > limit) return Buffer.from(head).subarray(0, limit).toString('utf8').replace(/\uFFFD$/, '');
  let kept = 0;
  for (let line = lines.length - 1; line >= 0; line--) {
    const size = Buffer.byteLength(lines[line]!) + 1;
    if (bytes + size > limit) break;
    bytes += size;
    kept += 1;
  }
  return [head, marker(lines.length - kept), ...lines.slice(lines.length - kept)].join('\n');
}

function lateNote(ping: Ping): string {
  return `late: ${ping.event}${ping.event === 'fail' ? ` (exit ${ping.exitCode})` : ''} of ${ping.time}, queued while the monitor was unreachable`;
}

function pingBody(ping: Ping, late: boolean, limit: number): string {
  return fitBody(late ? `${lateNote(ping)}\n${ping.message}` : ping.message, ping.body, limit);
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
      if (ping.runId) url.searchParams.set('rid', ping.runId);
      return { method: 'POST', url: url.toString(), headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: pingBody(ping, late, bodyLimit) };
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
      return { method: 'POST', url, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: pingBody(ping, late, bodyLimit) };
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
