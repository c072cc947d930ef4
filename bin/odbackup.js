#!/usr/bin/env node
// No V8 options here: with any (a 1 MiB young generation was one), every start took 15-25 ms longer here, and each
// hashing thread too, as node compiled its own modules afresh; for 7-12 MiB less resident memory. The nightly pass,
// where that memory counts, gets one from its unit and cron.d (NODE_OPTIONS).
// The one place where the exit code is set: main() returns it, so piped --json output is always whole.

/**
 * A command runs from the program's bundle (scripts/bundle.js: 0.01-0.06 s quicker); --version and --help, which
 * load no step, from the modules, which start quicker there. Without a bundle (tsc alone) everything does.
 */
async function loadCli() {
  const [first] = process.argv.slice(2);
  if (first !== undefined && !['-V', '--version', '-h', '--help', 'help'].includes(first)) {
    try {
      return await import('../dist/src/odbackup.bundle.js');
    } catch (error) {
      // Only a missing bundle falls back; a package the bundle cannot find is the error it is.
      if (error.code !== 'ERR_MODULE_NOT_FOUND' || !error.url?.endsWith('/odbackup.bundle.js')) throw error;
    }
  }
  return import('../dist/src/cli.js');
}
const { main } = await loadCli();

// A reader that stopped reading (`odbackup --help | head -3`) ends the output, not the program with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

process.exitCode = await main(process.argv);
