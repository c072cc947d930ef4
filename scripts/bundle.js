// Part of `npm run build`: the program as one module, dist/src/odbackup.bundle.js, which bin/odbackup.js loads for
// every command but --version and --help. Node 20 has no compile cache, and each of the ~80 modules a pass loads
// costs about a millisecond to find, read and link: bundled, a 2000-file pass took 0.78 s against 0.84 s, a small
// verify 0.245 s against 0.264 s, `codes` 0.184 s against 0.191 s (8-15 paired runs). --version and --help keep the
// modules: the bundle imports at once every Node module any command uses (0.174 s against 0.146 s). The packages stay outside (their own modules, or vendor/'s bundles), and
// the bundle lies beside cli.js, so that paths taken from paths.ts hold.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'dist/src/cli.js')],
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(root, 'dist/src/odbackup.bundle.js'),
  logLevel: 'warning',
});
