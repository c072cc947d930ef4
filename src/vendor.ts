import { SRC_DIR } from './paths.js';

/**
 * A dependency from the one-module bundle `npm run build` makes of it (scripts/vendor.js: execa and got load in a
 * quarter to a half of the time their ~150 modules take), or from its package when there is none (tsc alone).
 */
export async function loadBundled<T>(name: 'execa' | 'got', fromPackage: () => Promise<T>): Promise<T> {
  try {
    return (await import(new URL(`vendor/${name}.js`, SRC_DIR).href)) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return fromPackage();
  }
}
