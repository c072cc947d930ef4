import { networkInterfaces } from 'node:os';
import { DeliveryError, send, type HttpPolicy } from '../adapters/http.js';
import { exec } from '../exec.js';

/** The first non-loopback IPv4 address: what the e-ink shows so that an operator can ssh in. */
export function localAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    const address = addresses?.find((candidate) => candidate.family === 'IPv4' && !candidate.internal);
    if (address) return address.address;
  }
  return undefined;
}

/** Any HTTP answer (even 404) means the internet is reachable; no answer means it is not. */
export async function internetReachable(url: string, policy: HttpPolicy): Promise<{ reachable: boolean; error?: string }> {
  try {
    await send({ method: 'HEAD', url }, policy);
    return { reachable: true };
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
    return error.status ? { reachable: true } : { reachable: false, error: error.message };
  }
}

/** `systemctl is-active <unit>`: active, inactive, failed … (or "unknown" when systemctl cannot be run). */
export async function serviceState(systemctl: string, unit: string): Promise<string> {
  const result = await exec(systemctl, ['is-active', unit], { timeout: 10_000 });
  return result.notFound ? 'unknown' : result.stdout.trim() || 'unknown';
}
