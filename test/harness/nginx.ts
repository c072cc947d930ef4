import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers.js';

/** An htpasswd file nginx reads ({SHA}: no program needed to make it). */
export function writeHtpasswd(path: string, people: Record<string, string>): void {
  writeFileSync(path, Object.entries(people).map(([name, password]) => `${name}:{SHA}${createHash('sha1').update(password).digest('base64')}\n`).join(''));
}

/**
 * Debian's nginx on loopback with a site (the one `odbackup nginx` prints), everything it writes under dir: the
 * web host of the catalog, as a school would run it.
 */
export async function startNginx(dir: string, site: string, port: number): Promise<{ url: string; log: () => string; stop(): Promise<void> }> {
  for (const folder of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, folder), { recursive: true });
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'worker_processes 1;',
      'daemon off;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')};`,
      'events { worker_connections 64; }',
      'http {',
      '  include /etc/nginx/mime.types;',
      '  default_type application/octet-stream;',
      `  access_log ${join(dir, 'access.log')};`,
      ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((folder) => `  ${folder === 'body' ? 'client_body' : folder}_temp_path ${join(dir, folder)};`),
      `  include ${join(dir, 'site.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  nginx.stderr!.on('data', (chunk) => (stderr += chunk));
  const errors = () => `${stderr}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`;
  const url = `http://127.0.0.1:${port}/`;
  const pid = join(dir, 'nginx.pid');
  await waitFor(() => nginx.exitCode !== null || (existsSync(pid) && readFileSync(pid, 'utf8').trim() !== ''), 'nginx to start', 15_000);
  if (nginx.exitCode !== null) throw new Error(`nginx did not start: ${errors()}`);
  return {
    url,
    log: errors,
    stop: () =>
      new Promise((resolve) => {
        if (nginx.exitCode !== null) return resolve();
        nginx.on('exit', () => resolve());
        nginx.kill('SIGQUIT');
      }),
  };
}
