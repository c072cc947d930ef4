import { sourceNamed } from '../config/sources.js';
import { OdbackupError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatBytes } from '../render.js';
import { counted } from '../words.js';
import { restore, type RestoreOutcome } from '../restore/restore.js';
import { readableStore } from '../store/mount.js';
import { pathInSnapshot, shownName } from '../store/names.js';
import { ok, type Step } from './types.js';

interface RestoreOptions {
  to: string;
  at?: string;
  version?: number;
  hash?: string;
  merge?: boolean;
  dryRun?: boolean;
}

interface RestoreData {
  source: string;
  snapshot: string;
  to: string;
  files: number;
  bytes: number;
  replaced: string[];
  wouldWrite?: string[];
}

function shown(outcome: RestoreOutcome): RestoreData {
  const { source, snapshot, to, files, bytes } = outcome;
  return { source, snapshot, to, files, bytes, replaced: outcome.replaced.map(shownName), wouldWrite: outcome.wouldWrite?.map(shownName) };
}

export const restoreStep: Step<RestoreOptions> = {
  name: 'restore',
  summary: 'restore a file, a folder or a whole source from a snapshot to a local folder or over ssh, every byte proven against the manifest',
  arguments: [
    { name: 'source', description: 'the source', required: true },
    { name: 'path', description: 'a file or folder in the snapshot, as `find` shows it (default: everything)' },
  ],
  options: [
    { flags: '--to <dest>', description: 'a local folder (empty unless --merge) or [user@]host:/path over ssh (restore.ssh)' },
    { flags: '--at <snapshot>', description: 'a snapshot name, latest, or a day YYYY-MM-DD (its newest snapshot); default latest' },
    { flags: '--version <n>', description: 'the version of the file as `versions` numbers it (1 = oldest)', integer: { min: 1, max: 1_000_000 } },
    { flags: '--hash <xxh64>', description: 'the version of the file with this XXH64 (as `versions` shows it)' },
    { flags: '--merge', description: 'restore into a non-empty destination: add and replace files, never delete' },
    { flags: '-n, --dry-run', description: 'list what would be written; write nothing' },
  ],
  locked: true,
  async run(ctx, { args: [sourceName, path], options }) {
    if (!options.to) throw new OdbackupError('usage', 'restore needs --to <dest>: a local folder or [user@]host:/path');
    if (options.hash !== undefined && !/^[0-9a-fA-F]{16}$/.test(options.hash))
      throw new OdbackupError('usage', `--hash ${options.hash} is not an XXH64 (16 hex digits)`);
    const source = sourceNamed(ctx.config, sourceName!);
    const request = {
      source,
      path: path === undefined ? undefined : pathInSnapshot(path),
      to: options.to,
      at: options.at,
      version: options.version,
      hash: options.hash,
      merge: Boolean(options.merge),
    };
    const startedAt = ctx.now().toISOString();
    const record = (exitCode: number, message: string, outcome?: RestoreOutcome) =>
      ctx.dryRun ||
      ctx.state.recordRestore(ctx.runId, {
        startedAt,
        endedAt: ctx.now().toISOString(),
        source: source.name,
        snapshot: outcome?.snapshot,
        path,
        to: options.to,
        files: outcome?.files ?? 0,
        bytes: outcome?.bytes ?? 0,
        exitCode,
        message,
      });
    const release = await readableStore(ctx, true);
    try {
      const outcome = await restore({ ctx, request, dryRun: ctx.dryRun });
      const what = path === undefined ? 'all' : shownName(request.path!);
      const message = ctx.dryRun
        ? `dry run: would restore ${counted(outcome.files, 'file')} of ${source.name} ${outcome.snapshot} (${what}) to ${outcome.to}${outcome.replaced.length ? `, replacing ${outcome.replaced.length}` : ''}`
        : `restored ${counted(outcome.files, 'file')} (${formatBytes(outcome.bytes)}) of ${source.name} ${outcome.snapshot} (${what}) to ${outcome.to}, every one equal to its manifest${outcome.replaced.length ? `; replaced ${outcome.replaced.length}` : ''}`;
      record(0, message, outcome);
      return ok(message, shown(outcome));
    } catch (error) {
      if (error instanceof OdbackupError) record(EXIT_CODES[error.codeName].code, `restore of ${source.name} to ${options.to} failed: ${error.message}`);
      throw error;
    } finally {
      await release();
    }
  },
  render(result) {
    const data = result.data as RestoreData;
    const lines = [result.message];
    for (const name of data.wouldWrite ?? []) lines.push(`  ${data.replaced.includes(name) ? 'replace' : 'write'} ${name}`);
    if (!data.wouldWrite) for (const name of data.replaced) lines.push(`  replaced ${name}`);
    return lines.join('\n');
  },
};
