// `npm run docs`: regenerate the exit-code and subcommand tables of README.md and man/odbackup.1 from the code.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateDocs } from '../dist/src/docs.js';

const changed = await updateDocs(join(dirname(fileURLToPath(import.meta.url)), '..'), true);
console.log(changed.length ? `updated ${changed.join(', ')}` : 'docs are up to date');
