import { createHash, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { IntegrityOptions } from '../config/types.js';
import { bytePath, shownName, type ByteName } from '../store/names.js';

export interface IntegrityProblem {
  file: string;
  problem: string;
}

const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/** As `openssl dgst -sha256 -verify key -signature file.sign file`; the signature raw or base64. */
async function signatureValid(file: Buffer, signatureFile: Buffer, key: KeyObject): Promise<boolean> {
  const raw = readFileSync(signatureFile);
  const text = raw.toString('latin1').trim();
  const candidates = [raw, ...(/^[A-Za-z0-9+/=\s]+$/.test(text) ? [Buffer.from(text, 'base64')] : [])];
  const verifier = createVerify('sha256');
  await pipeline(createReadStream(file), verifier);
  return candidates.some((signature) => {
    try {
      return verifier.verify(key, signature);
    } catch {
      return false;
    }
  });
}

async function sha256(file: Buffer): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** `<hex>  <name>` or `<hex> *<name>` lines (sha256sum's output); the names as bytes, like ours. */
function readSha256Sums(file: Buffer): Map<ByteName, string> {
  const sums = new Map<ByteName, string>();
  for (const line of readFileSync(file, 'latin1').split('\n')) {
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (match) sums.set(match[2]!, match[1]!.toLowerCase());
  }
  return sums;
}

async function gzipIntact(file: Buffer): Promise<string | undefined> {
  try {
    await pipeline(createReadStream(file), createGunzip(), discard());
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Checks what the source publishes for the files this pass transferred (paths relative to root, streamed):
 * `<file>.sign` signatures, SHA256SUMS in the file's directory, and gzip integrity of `*.gz`.
 */
export async function integrityProblems(root: string, transferred: Iterable<ByteName>, options: IntegrityOptions): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  if (!options.publicKey && !options.sha256sums && !options.gzip) return problems;
  const key = options.publicKey ? createPublicKey(readFileSync(options.publicKey)) : undefined;
  // A file is checked against its signature when either was transferred (a new signature for an unchanged file
  // too), once: only signed files are remembered.
  const signatureChecked = new Set<ByteName>();
  // rsync lists a directory's files together: the SHA256SUMS at hand is the one kept.
  let sums: { directory: ByteName; sums: Map<ByteName, string> } | undefined;
  for (const file of transferred) {
    const path = bytePath(root, file);
    const signed = file.endsWith('.sign') ? file.slice(0, -'.sign'.length) : file;
    if (key && !signatureChecked.has(signed) && existsSync(bytePath(root, `${signed}.sign`)) && existsSync(bytePath(root, signed))) {
      signatureChecked.add(signed);
      if (!(await signatureValid(bytePath(root, signed), bytePath(root, `${signed}.sign`), key)))
        problems.push({ file: signed, problem: `signature ${shownName(signed)}.sign does not match` });
    }
    if (options.sha256sums && posix.basename(file) !== 'SHA256SUMS') {
      const directory = posix.dirname(file);
      if (sums?.directory !== directory) {
        const sumsFile = bytePath(root, directory === '.' ? 'SHA256SUMS' : `${directory}/SHA256SUMS`);
        sums = { directory, sums: existsSync(sumsFile) ? readSha256Sums(sumsFile) : new Map() };
      }
      const expected = sums.sums.get(posix.basename(file));
      if (expected && expected !== (await sha256(path))) problems.push({ file, problem: 'SHA256 differs from SHA256SUMS' });
    }
    if (options.gzip && file.endsWith('.gz')) {
      const error = await gzipIntact(path);
      if (error) problems.push({ file, problem: `gzip test failed: ${error}` });
    }
  }
  return problems;
}
