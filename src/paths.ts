/**
 * dist/src/, wherever the running code lies: this module sits at its top both as a module and inside the program's
 * bundle (dist/src/odbackup.bundle.js, scripts/bundle.js), so a path taken from here holds in both.
 */
export const SRC_DIR = new URL('./', import.meta.url);
