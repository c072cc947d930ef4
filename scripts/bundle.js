// Part of `npm run build`: the program as one module, dist/src/odbackup.bundle.js, which bin/odbackup.js loads for
// every command but --version and --help. Node 20 has no compile cache, and each of the ~80 modules a pass loads
// costs about a millisecond to find, read and link: bundled, a 2000-file pass took 0.78 s against 0.84 s, a small
// verify 0.245 s against 0.264 s, `codes` 0.184 s against 0.191 s (8-15 paired runs). --version and --help keep the
// modules: the bundle imports at once every Node module any command uses (0.174 s against 0.146 s). The packages
// every command loads are inside (commander, ajv's one runtime helper, xxhash-wasm: finding and linking their
// modules, commander's 7 CommonJS ones through the CommonJS loader, cost `status` 5-8 ms); those loaded only by the
// commands that use them stay outside (their own modules, or vendor/'s bundles), as do the ones with files beside
// their code (serialport's binding, MicroPython's wasm). The bundle lies beside cli.js, so that paths taken from
// paths.ts hold.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The packages inside the bundle; every other dependency stays outside, a new one too until it is listed here. */
const INSIDE = ['commander', 'ajv', 'xxhash-wasm', 'string-width'];
const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
await build({
  entryPoints: [join(root, 'dist/src/cli.js')],
  bundle: true,
  external: Object.keys(dependencies).filter((name) => !INSIDE.includes(name)),
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(root, 'dist/src/odbackup.bundle.js'),
  // commander is CommonJS: its require() of Node's modules needs one in an ES module.
  banner: { js: "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
