// Part of `npm run build`: execa as one module. Imported from its package it is about 150 modules, 0.18 s of
// loading for every command that runs a program (Node 20 has no compile cache); bundled, 0.04 s. The code is execa's,
// at the version the lock file pins; exec.ts falls back to the package when no bundle was built (tsc alone).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  stdin: { contents: "export * from 'execa';", resolveDir: root },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(root, 'dist/src/vendor/execa.js'),
  // Its CommonJS dependencies (cross-spawn, which) require Node's modules: an ES module has no require of its own.
  banner: { js: "import { createRequire as vendorRequire } from 'node:module'; const require = vendorRequire(import.meta.url);" },
  logLevel: 'warning',
  legalComments: 'inline',
});
