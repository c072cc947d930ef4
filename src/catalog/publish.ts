import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { classifyRsyncFailure, runRsync, type RsyncRequest } from '../adapters/rsync.js';
import { isRemoteLocation } from '../config/load.js';
import type { Context } from '../context.js';
import { OdbackupError } from '../errors.js';
import { SHIPPED } from './build.js';

/**
 * Mirrors the built catalog to catalog.to in the order a reader needs: the node's new path indexes first (nothing
 * removed), then index.json, nodes.json and the page (each renamed into place by rsync: a reader sees the old index
 * or the new one), then the indexes index.json no longer names removed. Other nodes' folders are never touched. Local or over
 * ssh alike: a key confined with `rrsync -wo` may do all three.
 */
export async function publishCatalog(ctx: Context, root: string): Promise<void> {
  const { config } = ctx;
  const to = config.catalog.to!;
  const remote = isRemoteLocation(to);
  const base = { ssh: remote ? config.catalog.ssh : undefined, timeout: 120 } satisfies Partial<RsyncRequest>;
  const node = config.node;
  // Like catalog.requests and the store: a folder that is not there (an unmounted share) is never created.
  if (!remote && !existsSync(to))
    throw new OdbackupError('catalogUnpublished', `the catalog was not published: ${to} is not there (is its share mounted?)`, `create it once: mkdir -p ${to}`);
  const steps: RsyncRequest[] = [
    { ...base, from: join(root, node), to: joinLocation(to, node), purpose: 'compare', exclude: ['/index.json'] },
    { ...base, from: root, to, purpose: 'compare', include: [...SHIPPED.map(({ name }) => `/${name}`), '/nodes.json', `/${node}/`, `/${node}/index.json`], exclude: ['*'] },
    { ...base, from: join(root, node), to: joinLocation(to, node), purpose: 'pull', exclude: ['/index.json'] },
  ];
  for (const request of steps) {
    const run = await runRsync(config.system.programs.rsync, request, { signal: ctx.signal });
    if (run.exitCode === 0) continue;
    if (run.notFound) throw new OdbackupError('catalogUnpublished', `${config.system.programs.rsync} is not installed`, 'apt-get install rsync');
    throw new OdbackupError('catalogUnpublished', `the catalog was not published to ${to}: ${classifyRsyncFailure(run).message}`, 'the next pass publishes it');
  }
}

/** A folder inside a local path or a `[user@]host:/path`. */
export function joinLocation(location: string, name: string): string {
  return `${location.replace(/\/+$/, '')}/${name}`;
}
