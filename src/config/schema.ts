/**
 * The configuration's JSON Schema: shipped with the program, printed by `odbackup config schema`,
 * and the single source of every option's description and example.
 */
const NAME_PATTERN = '^[a-z0-9][a-z0-9._-]*$';
const TIME_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

export const SCHEMA_ID = 'https://odbackup.invalid/schema/odbackup.schema.json';

/** Every program odbackup runs: each can be pointed elsewhere (system.programs), and each runs with a timeout. */
export const PROGRAMS = [
  'rsync',
  'git',
  'blkid',
  'findmnt',
  'mount',
  'umount',
  'sync',
  'rm',
  'e2fsck',
  'dumpe2fs',
  'lsblk',
  'smartctl',
  'systemctl',
  'systemd-inhibit',
  'loginctl',
  'rtcwake',
  'hwclock',
  'poweroff',
  'ssh-keyscan',
  'ssh-keygen',
] as const;

/** One string property per program, typed as literally as the rest of the schema (the Config type is derived from it). */
function programProperties<const P extends readonly string[]>(programs: P) {
  const property = (program: string) => ({
    type: 'string',
    minLength: 1,
    description: `The ${program} program.`,
    default: program,
    examples: [`/usr/sbin/${program}`],
  });
  return Object.fromEntries(programs.map((program) => [program, property(program)])) as unknown as {
    readonly [K in P[number]]: {
      readonly type: 'string';
      readonly minLength: 1;
      readonly description: string;
      readonly default: K;
      readonly examples: readonly string[];
    };
  };
}

/** How odbackup reaches a host over ssh: a source it pulls from, or a restore destination. */
const SSH_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'How to reach the host over ssh.',
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
      maximum: 300,
      minimum: 1,
      description: 'Seconds to wait for the ssh connection.',
      default: 20,
      examples: [20],
    },
  },
} as const;

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
          description:
            "The directory that holds the snapshots (the mount point of the storage disk). Short is faster: rsync opens each component of a snapshot's path again for every file it hard-links.",
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
          maximum: 100000,
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
          ssh: { ...SSH_SCHEMA, description: 'How to reach an ssh source.' },
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
            maximum: 86400,
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
          maxShrinkPercent: {
            type: 'integer',
            minimum: 1,
            maximum: 100,
            description:
              "A pull that loses more than this share of the previous snapshot's files or bytes is taken for a source that was not there tonight (an unmounted export) and fails with 45; an empty pull always does. 100: only the empty one.",
            default: 50,
            examples: [50],
          },
          overdueDays: {
            type: 'integer',
            minimum: 1,
            maximum: 366,
            description:
              'A machine that is sometimes away (a laptop): a host that does not answer a short probe of its ssh server is away, a note and no failure; the source fails with 46 only when its newest complete snapshot (or, never saved, its first attempt) is older than this many days (× 24 h). Needs a "from" of the form user@host:/path.',
            examples: [3],
          },
          times: {
            type: 'array',
            minItems: 1,
            items: { type: 'string', pattern: TIME_PATTERN },
            description: 'The wakes (from schedule.times) at which this source is pulled; every wake when left out. A pass started by hand serves the most recent wake.',
            examples: [['03:00'], ['11:30', '14:00']],
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
    sync: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How the sources are pulled.',
      examples: [{ parallel: 4, probeSeconds: 5 }],
      properties: {
        parallel: {
          type: 'integer',
          minimum: 1,
          maximum: 16,
          default: 4,
          description: 'Sources of one group pulled at the same time, at most one pull per host (the host as written in "from"); local and git sources count as one host.',
          examples: [4],
        },
        probeSeconds: {
          type: 'integer',
          minimum: 1,
          maximum: 60,
          default: 5,
          description: "How long a source with overdueDays has to answer with its ssh server's banner before it is taken as away (no retries).",
          examples: [5],
        },
      },
    },
    people: {
      type: 'object',
      default: {},
      propertyNames: { pattern: NAME_PATTERN },
      description:
        'Who may see and ask for what, by the name the web server logs them in with (README: Who gets what back). Each sees only the sources named here (staff: all) and may send files only to the destinations named here (staff: any); a source or destination no person names is staff-only. With people, restore requests are read from a folder per person under catalog.requests.',
      examples: [{ jim: { sources: ['jim-laptop', 'shared'], destinations: ['jim-laptop'] }, 'ms-tamm': { staff: true } }],
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          sources: { type: 'array', default: [], items: { type: 'string', pattern: NAME_PATTERN }, description: 'The sources this person may see and ask for.', examples: [['jim-laptop']] },
          destinations: { type: 'array', default: [], items: { type: 'string', pattern: NAME_PATTERN }, description: "The restore destinations that are this person's.", examples: [['jim-laptop']] },
          staff: { type: 'boolean', default: false, description: 'May see every source and send files to every destination.', examples: [true] },
        },
      },
    },
    restore: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Getting data back (`odbackup restore`).',
      examples: [{ ssh: { identityFile: '/etc/odbackup/restore_ed25519', knownHostsFile: '/etc/odbackup/known_hosts' } }],
      properties: {
        ssh: {
          ...SSH_SCHEMA,
          description:
            'How a `[user@]host:/path` destination is reached: its own key, not the read-only pull key; confine it on the target with `rrsync -wo <dir>`.',
        },
        destinations: {
          type: 'object',
          default: {},
          propertyNames: { pattern: NAME_PATTERN },
          additionalProperties: { type: 'string', minLength: 1 },
          description:
            'Where restore requests may send files, by name: a local folder or `[user@]host:/path` (over restore.ssh). A request names one of these, never a host or a path; each is served into a new folder named after the request.',
          examples: [{ 'jim-laptop': 'jim@192.0.2.10:/home/jim/restored', 'staff-share': '/srv/restored' }],
        },
      },
    },
    catalog: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'What every pass publishes so that files can be found and asked for while the node sleeps: the snapshots, every file with its size, mtime and XXH64, the last pass, and a page to browse them (README: Getting data back).',
      examples: [{ to: 'catalog@files.example.org:/', requests: 'catalog@files.example.org:/', peers: ['odroid-tartu'] }],
      properties: {
        to: {
          type: 'string',
          minLength: 1,
          description:
            'A local folder or `[user@]host:/path` (over catalog.ssh; confine that key with `rrsync -wo <dir>`): the catalog goes to <to>/<node>/, the page to <to>/index.html. Without it, nothing is published.',
          examples: ['/srv/www/odbackup', 'catalog@files.example.org:/'],
        },
        requests: {
          type: 'string',
          minLength: 1,
          description:
            'Where restore requests (<name>.json) are read at every pass: a local folder or `[user@]host:/path` (over catalog.requestsSsh; confine that key with `rrsync -ro <dir>`). Without it, no request is served.',
          examples: ['/srv/www/odbackup/requests', 'requests@files.example.org:/'],
        },
        peers: {
          type: 'array',
          default: [],
          items: { type: 'string', pattern: NAME_PATTERN },
          description: 'The other nodes that publish to the same place: the page shows them side by side.',
          examples: [['odroid-tartu']],
        },
        ssh: { ...SSH_SCHEMA, description: 'How a `[user@]host:/path` catalog.to is reached: a key of its own, confined with `rrsync -wo`.' },
        requestsSsh: { ...SSH_SCHEMA, description: 'How a `[user@]host:/path` catalog.requests is reached: a key of its own, confined with `rrsync -ro`.' },
        maxRequests: {
          type: 'integer',
          minimum: 1,
          maximum: 100,
          default: 10,
          description: 'Requests served per pass, oldest first; the rest wait for the next pass (a flood cannot keep the node awake).',
          examples: [10],
        },
        maxRequestGiB: {
          type: 'number',
          minimum: 0,
          maximum: 100000,
          default: 50,
          description: 'A request for more than this is refused with its size: restore it by hand (`odbackup restore`).',
          examples: [50],
        },
      },
    },
    verify: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How the store proves itself.',
      examples: [{ scrubDays: 30, scrubCatchUp: 1 }],
      properties: {
        scrubDays: {
          type: 'integer',
          minimum: 1,
          maximum: 366,
          description: 'Every pass re-reads 1/scrubDays of the stored data against the manifests: every byte is read once per this many days.',
          default: 30,
          examples: [30],
        },
        scrubCatchUp: {
          type: 'integer',
          minimum: 0,
          maximum: 366,
          description:
            'After nights the node was off or failed before verify, each pass reads up to this many extra slices that would otherwise be older than scrubDays: the cost of catching up, per night.',
          default: 1,
          examples: [1],
        },
      },
    },
    system: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'Where the kernel files and programs that check, suspend and maintenance use are. Leave the defaults on a node; tests point them at files and programs they create.',
      examples: [{ root: '/', programs: { smartctl: '/usr/sbin/smartctl' } }],
      properties: {
        root: {
          type: 'string',
          minLength: 1,
          description: 'Prefix of the /sys, /run and /proc paths that are read (thermal zones, time sync, RTC wake alarm, boot time) and of the timer drop-in setup writes (/etc/systemd/system/odbackup.timer.d/).',
          default: '/',
          examples: ['/'],
        },
        programs: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'Every program the node runs; a name is looked up in PATH.',
          examples: [{ smartctl: 'smartctl', rtcwake: '/usr/sbin/rtcwake' }],
          properties: programProperties(PROGRAMS),
        },
      },
    },
    heartbeat: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'The remote monitors pinged at the start and the end of every pass (SPEC §6). Pings that cannot be delivered are queued and sent, marked late, at the next pass.',
      examples: [{ monitors: [{ style: 'healthchecks', url: 'https://hc-ping.com/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' }] }],
      properties: {
        monitors: {
          type: 'array',
          default: [],
          description: 'Every monitor gets every ping.',
          examples: [[{ style: 'uptime-kuma', url: 'https://kuma.example.org/api/push/Xb3kQ9' }]],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['style', 'url'],
            properties: {
              style: {
                type: 'string',
                enum: ['healthchecks', 'uptime-kuma', 'template'],
                description:
                  'healthchecks: /start, success, /<exit code>, run id, log tail; uptime-kuma: push URL with status and msg; template: a URL with {event}, {code}, {node}.',
                examples: ['healthchecks'],
              },
              url: {
                type: 'string',
                pattern: '^https?://',
                description:
                  'The ping URL (a secret: never printed). healthchecks: the check URL; uptime-kuma: the push URL; template: e.g. https://status.example.org/status/{node}_{event}.',
                examples: ['https://hc-ping.com/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'],
              },
              method: {
                type: 'string',
                enum: ['GET', 'POST'],
                description: 'For template monitors: POST sends the log tail as the body.',
                default: 'GET',
                examples: ['POST'],
              },
            },
          },
        },
        timeoutSeconds: { type: 'integer', minimum: 1, maximum: 10, description: 'Per request.', default: 10, examples: [10] },
        retries: { type: 'integer', minimum: 0, maximum: 5, description: 'Retries of a failed request (1 s, 2 s, 4 s … apart).', default: 2, examples: [2] },
        queueSize: {
          type: 'integer',
          maximum: 10000,
          minimum: 1,
          description: 'Undelivered pings kept per monitor (the oldest are dropped, and counted).',
          default: 100,
          examples: [100],
        },
        maintenanceUrl: {
          type: 'string',
          pattern: '^https?://',
          description:
            'Asked at "heartbeat start": an answer of maintenance, debug, yes, true or 1 (or JSON {"maintenance": true}) keeps the node up for maintenance.',
          examples: ['https://status.example.org/odroidm1/maintenance'],
        },
      },
    },
    notify: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Alerts on a failed pass (and on warnings): Slack, ntfy or a JSON webhook.',
      examples: [{ targets: [{ style: 'ntfy', url: 'https://ntfy.sh/odbackup-alerts', priority: 4 }] }],
      properties: {
        onWarning: { type: 'boolean', description: 'Also alert when the pass succeeded with warnings.', default: true, examples: [true] },
        targets: {
          type: 'array',
          default: [],
          description: 'Every target gets every alert.',
          examples: [[{ style: 'slack', url: 'https://hooks.slack.com/services/T000/B000/XXXX' }]],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['style', 'url'],
            properties: {
              style: {
                type: 'string',
                enum: ['slack', 'ntfy', 'webhook'],
                description: 'slack: incoming webhook; ntfy: topic URL; webhook: JSON POST.',
                examples: ['slack'],
              },
              url: {
                type: 'string',
                pattern: '^https?://',
                description: 'Where to POST (a secret: never printed).',
                examples: ['https://ntfy.sh/odbackup-alerts'],
              },
              token: {
                type: 'string',
                minLength: 1,
                description: 'ntfy access token (sent as Authorization: Bearer).',
                examples: ['tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2'],
              },
              priority: {
                type: 'integer',
                minimum: 1,
                maximum: 5,
                description: 'ntfy priority of a failure (warnings are sent at 3).',
                default: 5,
                examples: [4],
              },
              tags: { type: 'array', items: { type: 'string' }, default: [], description: 'ntfy tags added to every alert.', examples: [['backup']] },
            },
          },
        },
      },
    },
    schedule: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'When the node wakes for its pass (SPEC §8), in the system time zone.',
      examples: [{ times: ['03:00'] }],
      properties: {
        times: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', pattern: TIME_PATTERN },
          default: ['03:00'],
          description:
            'Daily wall-clock times (HH:MM). On a spring-forward night a time that does not exist is taken after the clocks moved; on the autumn night a repeated time is taken the first time.',
          examples: [['03:00'], ['03:00', '15:00']],
        },
        minMarginMinutes: {
          type: 'number',
          maximum: 720,
          minimum: 1,
          description: 'The next wake is at least this far away (no alarm minutes ahead: the next scheduled time after it).',
          default: 30,
          examples: [30],
        },
        wakeToleranceMinutes: {
          type: 'number',
          maximum: 720,
          minimum: 0,
          description: 'A start within this long after the scheduled time, with the alarm spent, counts as woken by the RTC; later is a manual start.',
          default: 10,
          examples: [10],
        },
        networkSettleSeconds: {
          type: 'number',
          maximum: 600,
          minimum: 0,
          description: 'At the start of a pass, wait at most this long for a network address (after a resume the link takes a moment).',
          default: 60,
          examples: [60],
        },
      },
    },
    suspend: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How the node sleeps until the next scheduled time.',
      examples: [{ mode: 'suspend' }],
      properties: {
        mode: {
          type: 'string',
          enum: ['suspend', 'mem', 'poweroff', 'none'],
          description:
            'suspend: rtcwake -m no, then systemctl suspend (systemd sleep hooks run); mem: rtcwake -m mem (bypasses systemd); poweroff: rtcwake -m no, then poweroff (mainline kernels only: Rockchip vendor kernels mask the RTC interrupt at power-off); none: stay awake.',
          default: 'suspend',
          examples: ['suspend'],
        },
        rtc: { type: 'string', pattern: '^rtc[0-9]+$', description: 'The RTC that wakes the node.', default: 'rtc0', examples: ['rtc0'] },
      },
    },
    maintenance: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'Maintenance mode: after a manual wake, when the monitor asks, or when a Badger button is held. ssh is started and the node stays awake while someone is logged in.',
      examples: [{ checkMinutes: 15 }],
      properties: {
        checkMinutes: {
          type: 'number',
          maximum: 1440,
          exclusiveMinimum: 0,
          description: 'How often to look for logged-in users (the first look is after this long too).',
          default: 15,
          examples: [15],
        },
        maxHours: {
          type: 'number',
          maximum: 168,
          exclusiveMinimum: 0,
          description: 'Go to sleep after this long even with a session open (a forgotten login must not keep the node up for days).',
          default: 12,
          examples: [12],
        },
        backupFirst: {
          type: 'boolean',
          description: 'Do the backup before maintenance (false: maintenance first when it is asked for at the start).',
          default: true,
          examples: [true],
        },
      },
    },
    display: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The e-ink: a Pimoroni Badger 2040 on USB (SPEC §5). A display that is missing or hung is warning 60, never a failed backup.',
      examples: [{ port: 'auto' }],
      properties: {
        port: {
          type: 'string',
          minLength: 1,
          description:
            'auto: the Badger found by its USB id 2E8A:0005 (/dev/serial/by-id/usb-MicroPython_*); a device path; none: this node has no display (the display steps are skipped).',
          default: 'auto',
          examples: ['auto', '/dev/serial/by-id/usb-MicroPython_Board_in_FS_mode_e6614c311b7e6f35-if00', 'none'],
        },
        timeoutSeconds: {
          type: 'number',
          exclusiveMinimum: 0,
          maximum: 15,
          description: 'One screen update (open, interrupt, soft reset, draw, refresh) gets at most this long; then it is warning 60.',
          default: 15,
          examples: [15],
        },
        preview: {
          type: 'string',
          minLength: 1,
          description: 'Also write every screen to this PNG, drawn by the same board program in MicroPython here (relative to this file).',
          examples: ['/var/lib/odbackup/eink.png'],
        },
        api: {
          type: 'string',
          enum: ['old', 'new'],
          description: 'The badger2040 API the preview emulates (the board program works with both).',
          default: 'new',
          examples: ['new'],
        },
      },
    },
    check: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The hardware check before every pass (SPEC §7).',
      examples: [{ maxTemperatureC: 85, smartDevice: '/dev/sda' }],
      properties: {
        smartDevice: {
          type: 'string',
          minLength: 1,
          description: 'The disk to ask for SMART health; default: the disk that holds storage.device.',
          examples: ['/dev/sda'],
        },
        warnTemperatureC: { type: 'number', minimum: 0, maximum: 150, description: 'SoC temperature that is a warning.', default: 75, examples: [75] },
        maxTemperatureC: { type: 'number', minimum: 0, maximum: 150, description: 'SoC temperature that stops the pass (14).', default: 85, examples: [85] },
        internetUrl: {
          type: 'string',
          pattern: '^https?://',
          description: "Any answer from this URL means the internet is reachable; default: the first monitor's host.",
          examples: ['https://deb.debian.org/'],
        },
        internetRequired: {
          type: 'boolean',
          description: 'No internet stops the pass (20); otherwise it is a warning (sources on the LAN may still be reachable).',
          default: false,
          examples: [false],
        },
        sshService: {
          type: 'string',
          minLength: 1,
          description: 'The ssh server unit (state reported; started for maintenance).',
          default: 'ssh.service',
          examples: ['ssh.service'],
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
        daily: { type: 'integer', maximum: 3660, minimum: 1, description: 'Newest snapshot of each of the last N days.', default: 7, examples: [7] },
        weekly: { type: 'integer', maximum: 520, minimum: 0, description: 'Newest snapshot of each of the last N ISO weeks.', default: 4, examples: [4] },
        monthly: { type: 'integer', maximum: 1200, minimum: 0, description: 'Newest snapshot of each of the last N months.', default: 12, examples: [12] },
      },
    },
  },
} as const;
