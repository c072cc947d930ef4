// Part of `npm run build`: execa and got as one module each. Imported from their packages they are about 150
// modules each: 0.18 s of loading for every command that runs a program, 0.16 s for every pass that pings a monitor
// (Node 20 has no compile cache); bundled, about 0.04 s each. The code is theirs, at the versions the lock file
// pins; vendor.ts falls back to the package when no bundle was built (tsc alone).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const name of ['execa', 'got']) {
  await build({
    stdin: { contents: `export * from '${name}';`, resolveDir: root },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(root, `dist/src/vendor/${name}.js`),
    // Their CommonJS dependencies (cross-spawn, which, http2-wrapper…) require Node's modules: an ES module has no require.
    banner: { js: "import { createRequire as vendorRequire } from 'node:module'; const require = vendorRequire(import.meta.url);" },
    logLevel: 'warning',
    legalComments: 'inline',
  });
}
