// The floors of src/ (ARCHITECTURE.md), enforced by `npm run lint`. Each rule names what a floor may not import.
const BASE = '^src/(exec|errors|exit-codes|log|result|render|context|pause|vendor|paths|words)\\.ts$';
const DOMAIN = '^src/(hash|health|monitor|power|store|sync|verify|display|restore|catalog)/';
const ABOVE_DOMAIN = '^src/(steps|pass)/|^src/(cli|registry|docs)\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import circles anywhere in src/', from: { path: '^src/' }, to: { circular: true } },
    {
      name: 'steps-do-not-import-steps',
      severity: 'error',
      comment: 'a step composes what lies below it, never another step (cycle, in src/pass/, composes steps)',
      from: { path: '^src/steps/(?!types\\.ts$)' },
      to: { path: '^src/steps/(?!types\\.ts$)' },
    },
    { name: 'steps-stay-below-the-pass', severity: 'error', from: { path: '^src/steps/' }, to: { path: '^src/pass/|^src/(cli|registry|docs)\\.ts$' } },
    { name: 'the-pass-stays-below-the-cli', severity: 'error', from: { path: '^src/pass/' }, to: { path: '^src/(cli|registry|docs)\\.ts$' } },
    { name: 'domain-stays-below-the-steps', severity: 'error', comment: 'store, sync, verify, display… know nothing of steps or the pass', from: { path: DOMAIN }, to: { path: ABOVE_DOMAIN } },
    {
      name: 'adapters-are-thin',
      severity: 'error',
      comment: 'an adapter wraps one external program or device: it needs only the exec wrapper, errors and config types',
      from: { path: '^src/adapters/' },
      to: { path: `${DOMAIN}|^src/(state|steps|pass)/|^src/(cli|registry|docs|context|render)\\.ts$` },
    },
    {
      name: 'state-and-config-are-the-ground',
      severity: 'error',
      comment: 'config/ and state/ import only each other and the base modules',
      from: { path: '^src/(config|state)/' },
      to: { path: `${DOMAIN}|^src/(adapters|steps|pass)/|^src/(cli|registry|docs|context|render)\\.ts$` },
    },
    { name: 'base-is-the-ground', severity: 'error', from: { path: BASE }, to: { path: `${DOMAIN}|^src/(adapters|steps|pass)/|^src/(cli|registry|docs)\\.ts$` } },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
