/** What `odbackup config example` prints: a node as the original one was, every section filled in. */
export const exampleConfig = {
  $schema: './odbackup.schema.json',
  node: 'odroidm1',
  stateDir: '/var/lib/odbackup',
  storage: { path: '/mnt/backup', device: 'LABEL=odbackup', minFreeGiB: 50, afterPass: 'ro' },
  verify: { scrubDays: 30 },
  sources: [
    {
      name: 'ajapaik-db',
      group: 'databases',
      from: 'backup@db1.example.org:/var/backups/postgres',
      ssh: { port: 22, identityFile: '/etc/odbackup/id_ed25519', knownHostsFile: '/etc/odbackup/known_hosts' },
      expect: ['ajapaik_web_db_daily_{%d}.psql.gz.enc', 'weekly/ajapaik_web_db_weekly_{%Y-%m-%d@monday}.psql.gz.enc'],
      integrity: { publicKey: '/etc/odbackup/db1-signing.pub', gzip: false },
      bwlimit: '20m',
      retries: 2,
    },
    { name: 'photos', group: 'images', from: '/srv/images', exclude: ['*.tmp'], integrity: { sha256sums: true } },
    { name: 'code', group: 'git', repositories: ['https://github.com/example/site.git'] },
    {
      name: 'jim-laptop',
      group: 'laptops',
      from: 'jim@jim-laptop.school.lan:/',
      ssh: { identityFile: '/etc/odbackup/id_ed25519', knownHostsFile: '/etc/odbackup/known_hosts' },
      overdueDays: 3,
      times: ['11:30', '14:00'],
    },
  ],
  schedule: { times: ['03:00', '11:30', '14:00'] },
  sync: { parallel: 4 },
  restore: {
    ssh: { identityFile: '/etc/odbackup/restore_ed25519', knownHostsFile: '/etc/odbackup/known_hosts' },
    destinations: { 'jim-laptop': 'jim@jim-laptop.school.lan:/home/jim/restored', 'staff-share': '/srv/restored' },
  },
  catalog: {
    to: 'catalog@files.example.org:/',
    requests: 'requests@files.example.org:/',
    ssh: { identityFile: '/etc/odbackup/catalog_ed25519', knownHostsFile: '/etc/odbackup/known_hosts' },
    requestsSsh: { identityFile: '/etc/odbackup/requests_ed25519', knownHostsFile: '/etc/odbackup/known_hosts' },
  },
  people: {
    jim: { sources: ['jim-laptop'], destinations: ['jim-laptop'] },
    'ms-tamm': { staff: true },
  },
  retention: { daily: 7, weekly: 4, monthly: 12 },
  heartbeat: {
    monitors: [
      { style: 'healthchecks', url: 'https://hc-ping.com/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' },
      { style: 'template', url: 'https://status.example.org/status/odroidm1_{event}' },
    ],
    maintenanceUrl: 'https://status.example.org/odroidm1/maintenance',
  },
  notify: { targets: [{ style: 'slack', url: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX' }], onWarning: true },
  display: { port: 'auto' },
  check: { maxTemperatureC: 85, sshService: 'ssh.service' },
};
