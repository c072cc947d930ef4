/**
 * The configuration's JSON Schema: shipped with the program, printed by `odbackup config schema`,
 * and the single source of every option's description and example.
 */
const NAME_PATTERN = '^[a-z0-9][a-z0-9._-]*$';

export const SCHEMA_ID = 'https://odbackup.invalid/schema/odbackup.schema.json';

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: SCHEMA_ID,
  title: 'odbackup configuration',
  description: 'One node of the odbackup pull-backup appliance. Relative paths are relative to this file.',
  type: 'object',
  additionalProperties: false,
  required: ['node', 'storage', 'sources'],
  properties: {
    $schema: {
      type: 'string',
      description: 'Where editors find this schema (`odbackup config schema > odbackup.schema.json`).',
      examples: ['./odbackup.schema.json'],
    },
    node: {
      type: 'string',
      pattern: NAME_PATTERN,
      description: 'The name of this node, shown on the e-ink and sent to the monitor.',
      examples: ['odroidm1'],
    },
    stateDir: {
      type: 'string',
      minLength: 1,
      description: 'Where the run journal, state.json and the run lock live.',
      default: '/var/lib/odbackup',
      examples: ['/var/lib/odbackup'],
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      description: 'The backup store.',
      examples: [{ path: '/mnt/backup', minFreeGiB: 50 }],
      properties: {
        path: {
          type: 'string',
          minLength: 1,
          description: 'The directory that holds the snapshots (the mount point of the storage disk).',
          examples: ['/mnt/backup'],
        },
        device: {
          type: 'string',
          pattern: '^(UUID|LABEL)=.+$',
          description: 'The storage filesystem, by UUID or LABEL. Without it, path is a plain directory and the mount steps are skipped.',
          examples: ['UUID=3e6be9de-8139-11d1-9106-a43f08d823a6', 'LABEL=odbackup'],
        },
        fsType: {
          type: 'string',
          enum: ['ext4'],
          description: 'The filesystem type (checked with e2fsck before every read-write mount).',
          default: 'ext4',
          examples: ['ext4'],
        },
        mountOptions: {
          type: 'array',
          items: { type: 'string', pattern: '^[a-z0-9_=.-]+$' },
          description: 'Extra mount options, for both the read-write and the read-only mount.',
          default: ['noatime'],
          examples: [['noatime']],
        },
        afterPass: {
          type: 'string',
          enum: ['ro', 'unmounted'],
          description: 'How the pass leaves the storage, whatever happened: mounted read-only, or unmounted.',
          default: 'ro',
          examples: ['ro'],
        },
        minFreeGiB: {
          type: 'number',
          minimum: 0,
          description: 'Free space below which pruning removes the oldest snapshots first (never the newest).',
          default: 0,
          examples: [50],
        },
      },
    },
    sources: {
      type: 'array',
      minItems: 1,
      description: 'What to pull, in the order the pass pulls it (groups run in the order they first appear).',
      examples: [[{ name: 'ajapaik-db', group: 'databases', from: 'backup@db1.example.org:/' }]],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'group'],
        properties: {
          name: {
            type: 'string',
            pattern: NAME_PATTERN,
            description: 'The source name: the directory under the store and the argument of `odbackup sync <name>`.',
            examples: ['ajapaik-db'],
          },
          group: {
            type: 'string',
            pattern: NAME_PATTERN,
            description: 'The group this source belongs to; `odbackup sync <group>` pulls all of them.',
            examples: ['databases', 'images', 'git'],
          },
          from: {
            type: 'string',
            minLength: 1,
            description: 'A local directory, or `user@host:/path` pulled over ssh. Exactly one of from and repositories.',
            examples: ['/srv/dumps', 'backup@db1.example.org:/var/backups/postgres'],
          },
          repositories: {
            type: 'array',
            minItems: 1,
            items: { type: 'string', minLength: 1 },
            description: 'Git repository URLs mirrored with `git clone --mirror` (instead of from).',
            examples: [['https://github.com/example/site.git']],
          },
          ssh: {
            type: 'object',
            additionalProperties: false,
            default: {},
            description: 'How to reach an ssh source.',
            examples: [{ port: 22, identityFile: '/etc/odbackup/id_ed25519', knownHostsFile: '/etc/odbackup/known_hosts' }],
            properties: {
              port: { type: 'integer', minimum: 1, maximum: 65535, description: 'The ssh port.', default: 22, examples: [22] },
              identityFile: {
                type: 'string',
                minLength: 1,
                description: 'The private key to log in with.',
                examples: ['/etc/odbackup/id_ed25519'],
              },
              knownHostsFile: {
                type: 'string',
                minLength: 1,
                description: 'The known_hosts file holding the source host key; an unknown host key is an error.',
                examples: ['/etc/odbackup/known_hosts'],
              },
              connectTimeout: {
                type: 'integer',
                minimum: 1,
                description: 'Seconds to wait for the ssh connection.',
                default: 20,
                examples: [20],
              },
            },
          },
          include: {
            type: 'array',
            default: [],
            items: { type: 'string', minLength: 1 },
            description: 'rsync include patterns (applied before exclude).',
            examples: [['*.psql.gz.enc', '*.sign']],
          },
          exclude: {
            type: 'array',
            default: [],
            items: { type: 'string', minLength: 1 },
            description: 'rsync exclude patterns.',
            examples: [['*.tmp', 'lost+found/']],
          },
          bwlimit: {
            type: 'string',
            pattern: '^[0-9]+(\\.[0-9]+)?[kKmMgG]?$',
            description: 'rsync --bwlimit: KiB/s, or with a k/m/g suffix.',
            examples: ['5m'],
          },
          timeout: {
            type: 'integer',
            minimum: 0,
            description: 'rsync --timeout: seconds without data before the transfer is given up (0 = none).',
            default: 600,
            examples: [600],
          },
          retries: {
            type: 'integer',
            minimum: 0,
            maximum: 10,
            description: 'Retries on retryable rsync failures (network, timeouts), with exponential backoff.',
            default: 2,
            examples: [2],
          },
          expect: {
            type: 'array',
            default: [],
            items: { type: 'string', minLength: 1 },
            description:
              'Files that must exist in the snapshot after the pull. Placeholders: {%Y} {%m} {%d} {%H}, and {%Y-%m-%d@monday} for the most recent Monday, {%d@-1} for yesterday.',
            examples: [['ajapaik_web_db_daily_{%d}.psql.gz.enc', 'weekly/ajapaik_{%Y-%m-%d@monday}.psql.gz.enc']],
          },
          integrity: {
            type: 'object',
            additionalProperties: false,
            default: {},
            description: 'What the source publishes to prove its files; checked on the files this pass transferred.',
            examples: [{ publicKey: '/etc/odbackup/source-signing.pub', gzip: true }],
            properties: {
              publicKey: {
                type: 'string',
                minLength: 1,
                description: 'PEM public key: every transferred file with a `<file>.sign` beside it is verified (openssl dgst -sha256 -verify).',
                examples: ['/etc/odbackup/source-signing.pub'],
              },
              sha256sums: {
                type: 'boolean',
                description: 'Check transferred files listed in a SHA256SUMS file in their directory.',
                default: false,
                examples: [true],
              },
              gzip: {
                type: 'boolean',
                description: 'Test every transferred *.gz file (as gzip -t does).',
                default: false,
                examples: [true],
              },
            },
          },
        },
      },
    },
    verify: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How the store proves itself.',
      examples: [{ scrubDays: 30 }],
      properties: {
        scrubDays: {
          type: 'integer',
          minimum: 1,
          maximum: 366,
          description: 'Every pass re-reads 1/scrubDays of the stored data against the manifests: every byte is read once per this many days.',
          default: 30,
          examples: [30],
        },
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How many snapshots of each source to keep; the newest verified one is always kept.',
      examples: [{ daily: 7, weekly: 4, monthly: 12 }],
      properties: {
        daily: { type: 'integer', minimum: 1, description: 'Newest snapshot of each of the last N days.', default: 7, examples: [7] },
        weekly: { type: 'integer', minimum: 0, description: 'Newest snapshot of each of the last N ISO weeks.', default: 4, examples: [4] },
        monthly: { type: 'integer', minimum: 0, description: 'Newest snapshot of each of the last N months.', default: 12, examples: [12] },
      },
    },
  },
} as const;
