import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parentDisk } from '../adapters/storage.js';
import { readSmart } from '../adapters/smartctl.js';
import { codeLabel, EXIT_CODES } from '../exit-codes.js';
import { clockTrust } from '../health/clock.js';
import { internetFinding, sshFinding, type Finding } from '../health/findings.js';
import { localAddress } from '../health/network.js';
import { storeFreeBytes } from '../health/space.js';
import { readTemperatures } from '../health/thermal.js';
import { OdbackupError } from '../errors.js';
import { formatBytes, statusWord, table } from '../render.js';
import { counted } from '../words.js';
import { storageState, type StorageState } from '../store/device.js';
import { missingProtection, PROTECTIVE_MOUNT_OPTIONS } from '../store/mount.js';
import { failed, ok, type Context, type Step } from './types.js';

const GIB = 1024 ** 3;

async function storageFindings(ctx: Context): Promise<{ findings: Finding[]; storage?: StorageState }> {
  const { storage } = ctx.config;
  if (!storage.device && !existsSync(storage.path))
    return { findings: [{ check: 'storage', level: 'fatal', code: 'storageMissing', message: `the store ${storage.path} does not exist (storage.path; relative paths are relative to the configuration file)` }] };
  if (!storage.device)
    return {
      findings: [
        {
          check: 'storage',
          level: 'info',
          message: `plain directory ${storage.path} (no storage.device): odbackup does not mount it, so a setuid program or a device node a source sends works here unless its filesystem is mounted ${PROTECTIVE_MOUNT_OPTIONS.join(',')}`,
        },
      ],
    };
  try {
    const state = await storageState(ctx.config);
    const where = state.mounted ? `mounted ${state.mounted.options.includes('rw') ? 'rw' : 'ro'} at ${storage.path}` : 'not mounted';
    const findings: Finding[] = [{ check: 'storage', level: 'ok', message: `${storage.device} is ${state.device}, ${where}` }];
    // Mounted by hand or by fstab: what a source sends could raise privileges on the node until the pass mounts it.
    const missing = missingProtection(state.mounted);
    if (missing.length > 0)
      findings.push({
        check: 'storage',
        level: 'warning',
        code: 'usage',
        message: `${storage.path} is mounted without ${missing.join(',')}: a setuid program or a device node in a snapshot works on this node; \`odbackup mount off\` and let the pass mount it`,
      });
    return { findings, storage: state };
  } catch (error) {
    if (!(error instanceof OdbackupError)) throw error;
    return { findings: [{ check: 'storage', level: 'fatal', code: error.codeName, message: error.message }] };
  }
}

async function smartFindings(ctx: Context, storage: StorageState | undefined): Promise<Finding[]> {
  const { programs } = ctx.config.system;
  const disk = ctx.config.check.smartDevice ?? (storage && (await parentDisk(programs, storage.device)));
  if (!disk) return [{ check: 'smart', level: 'info', message: 'no disk to ask (no storage.device, no check.smartDevice)' }];
  const smart = await readSmart(programs.smartctl, disk, ctx.signal);
  if (!smart.assessable) return [{ check: 'smart', level: 'warning', code: 'smartFailed', message: `${disk}: health could not be read: ${smart.reason}` }];
  const facts = [
    smart.model,
    smart.temperatureC !== undefined ? `${smart.temperatureC} °C` : undefined,
    ...(smart.mediaErrors !== undefined
      ? [`media errors ${smart.mediaErrors}`]
      : [`reallocated ${smart.reallocatedSectors ?? 0}`, `pending ${smart.pendingSectors ?? 0}`]),
    smart.wearPercent !== undefined ? `wear ${smart.wearPercent}%` : undefined,
  ].filter(Boolean);
  const basis = smart.healthFromAttributes ? `; health from attributes: ${smart.healthFromAttributes}` : '';
  if (smart.failures.length > 0) {
    const what = [...smart.failures, ...smart.warnings, ...facts].join(', ');
    return [
      { check: 'smart', level: 'fatal', code: 'smartFailed', message: `${disk}: DISK FAILING (smartctl exit status ${smart.exitStatus}; ${what})${basis}` },
    ];
  }
  const findings: Finding[] = [{ check: 'smart', level: 'ok', message: `${disk}: PASSED (${facts.join(', ')})${basis}` }];
  for (const warning of smart.warnings) findings.push({ check: 'smart', level: 'warning', code: 'smartFailed', message: `${disk}: ${warning}` });
  return findings;
}

function temperatureFindings(ctx: Context): Finding[] {
  const zones = readTemperatures(ctx.config.system.root);
  if (zones.length === 0) return [{ check: 'temperature', level: 'info', message: 'no thermal zones' }];
  const hottest = zones.reduce((a, b) => (b.celsius > a.celsius ? b : a));
  const { warnTemperatureC, maxTemperatureC } = ctx.config.check;
  const text = `${hottest.type} ${hottest.celsius.toFixed(1)} °C`;
  if (hottest.celsius >= maxTemperatureC)
    return [{ check: 'temperature', level: 'fatal', code: 'overTemperature', message: `${text}, limit ${maxTemperatureC} °C` }];
  if (hottest.celsius >= warnTemperatureC)
    return [{ check: 'temperature', level: 'warning', code: 'overTemperature', message: `${text}, warning above ${warnTemperatureC} °C` }];
  return [{ check: 'temperature', level: 'ok', message: text }];
}

/** Enough room for the next pass: at least what the last pass wrote, and (a warning) the configured reserve. */
async function spaceFindings(ctx: Context, storage: StorageState | undefined, storageOk: boolean): Promise<Finding[]> {
  if (!storageOk) return [];
  const free = await storeFreeBytes(ctx.config, storage);
  if (free === undefined)
    return [{ check: 'free space', level: 'warning', code: 'diskFull', message: `free space on ${ctx.config.storage.path} could not be read` }];
  const lastPassBytes = Object.values(ctx.state.read().sources ?? {}).reduce((sum, source) => sum + source.bytes, 0);
  const reserve = ctx.config.storage.minFreeGiB * GIB;
  const text = `${formatBytes(free)} free; the last pass wrote ${formatBytes(lastPassBytes)}`;
  // Not fatal: a pass that does not fit removes the oldest snapshots to make room (sync), and only then fails 13.
  if (free < lastPassBytes)
    return [{ check: 'free space', level: 'warning', code: 'diskFull', message: `${text}: the next pass may not fit; the oldest snapshots will make room` }];
  if (free < reserve)
    return [
      {
        check: 'free space',
        level: 'warning',
        code: 'diskFull',
        message: `${text}: below the reserve of ${ctx.config.storage.minFreeGiB} GiB (prune removes the oldest snapshots)`,
      },
    ];
  return [{ check: 'free space', level: 'ok', message: text }];
}

/** A program as exec would find it: a path, or a name in PATH (and the sbin folders a service's PATH has). */
function installed(program: string): boolean {
  if (program.includes('/')) return existsSync(program);
  const folders = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  return folders.some((folder) => folder && existsSync(join(folder, program)));
}

/** What suspend runs: rtcwake arms the alarm, hwclock sets the RTC (Debian 13: util-linux-extra, not in a minimal system). */
function sleepProgramFindings(ctx: Context): Finding[] {
  if (ctx.config.suspend.mode === 'none') return [];
  const { programs } = ctx.config.system;
  const missing = (['rtcwake', 'hwclock'] as const).filter((name) => !installed(programs[name]));
  if (missing.length === 0) return [{ check: 'sleep programs', level: 'ok', message: 'rtcwake and hwclock are installed' }];
  return missing.map((name) => ({
    check: 'sleep programs',
    level: 'warning' as const,
    code: 'alarmNotSet' as const,
    message: `${programs[name]} is not installed (apt-get install ${name === 'hwclock' ? 'util-linux-extra' : 'util-linux'}): ${name === 'hwclock' ? 'the RTC is not set from the system clock before the node sleeps' : 'no wake alarm can be armed'}`,
  }));
}

function clockFindings(ctx: Context): Finding[] {
  const clock = clockTrust(ctx.config.system.root, ctx.state.read(), ctx.now());
  return [{ check: 'clock', level: clock.trusted ? 'ok' : 'fatal', code: clock.trusted ? undefined : 'clockUntrusted', message: clock.message }];
}

/**
 * The storage first (the others need to know its state), then everything else at once: smartctl on the disk, the
 * internet's answer and systemd's each take their own time, and the node is awake for the longest of them, not
 * their sum. The findings keep their order.
 */
export async function hardwareFindings(ctx: Context): Promise<Finding[]> {
  const { findings: storageResult, storage } = await storageFindings(ctx);
  const storageOk = storageResult.every((finding) => finding.level !== 'fatal');
  const address = localAddress();
  const [smart, space, internet, ssh] = await Promise.all([
    storageOk ? smartFindings(ctx, storage) : [],
    spaceFindings(ctx, storage, storageOk),
    internetFinding(ctx),
    sshFinding(ctx),
  ]);
  return [
    ...storageResult,
    ...smart,
    ...temperatureFindings(ctx),
    ...space,
    ...clockFindings(ctx),
    ...sleepProgramFindings(ctx),
    internet,
    { check: 'address', level: address ? 'info' : 'warning', code: address ? undefined : 'networkDown', message: address ?? 'no IPv4 address' },
    ssh,
  ];
}

export const checkStep: Step = {
  name: 'check',
  summary: 'hardware check: storage disk, SMART, temperature, free space, clock, internet, address, ssh',
  locked: false,
  async run(ctx) {
    const findings = await hardwareFindings(ctx);
    const fatal = findings.filter((finding) => finding.level === 'fatal');
    const warnings = findings
      .filter((finding) => finding.level === 'warning')
      .map((finding) => ({ code: finding.code!, message: `${finding.check}: ${finding.message}` }));
    if (fatal.length > 0) {
      const [first] = fatal;
      return {
        ...failed(first!.code!, `${first!.check}: ${first!.message}`, undefined, findings),
        details: fatal.slice(1).map((finding) => `${finding.check}: ${finding.message}`),
        warnings,
      };
    }
    return ok(`${counted(findings.filter((finding) => finding.level === 'ok').length, 'check')} ok, ${counted(warnings.length, 'warning')}`, findings, warnings);
  },
  render(result) {
    const findings = result.data as Finding[];
    const rows = findings.map((finding) => [finding.check, statusWord(finding.level), finding.code ? codeLabel(finding.code) : '', finding.message]);
    return `${table(['check', 'level', 'code', 'finding'], rows)}\n${result.status === 'failed' ? `${EXIT_CODES[result.code!].meaning}` : result.message}`;
  },
};
