import { exec } from '../exec.js';

/**
 * SMART health of one disk, decoded from `smartctl --json -a` (REFERENCE §5.1). Each exit-status bit means
 * something of its own: 0-2 say what smartctl could not do, 3-7 what it found. What was read is always reported.
 */
export interface SmartReport {
  device: string;
  /** Something came back to judge health by: the overall status, attributes or the NVMe health log. */
  assessable: boolean;
  /** Why the disk is failing (empty: it is not): status FAILED, a pre-fail attribute at its threshold now, NVMe critical warnings. */
  failures: string[];
  /** Trouble that does not fail the disk yet: past threshold crossings, errors in the logs, reallocated or pending sectors, media errors. */
  warnings: string[];
  /** Exit bit 2 with data: a SMART command failed (often the health command behind a RAID or USB bridge) and smartctl judged by the attributes. */
  healthFromAttributes?: string;
  exitStatus: number;
  model?: string;
  serial?: string;
  temperatureC?: number;
  reallocatedSectors?: number;
  pendingSectors?: number;
  /** Percent of rated endurance used (NVMe percentage_used, or 100 - the SSD wear attribute's normalised value). */
  wearPercent?: number;
  mediaErrors?: number;
  /** smartctl's own words when it could not assess. */
  reason?: string;
}

interface SmartJson {
  smartctl?: { exit_status?: number; messages?: { string: string; severity?: string }[] };
  smart_status?: { passed?: boolean };
  model_name?: string;
  serial_number?: string;
  temperature?: { current?: number };
  ata_smart_attributes?: { table?: { id: number; name: string; value: number; thresh: number; when_failed?: string; raw: { value: number } }[] };
  ata_smart_error_log?: { summary?: { count?: number } };
  ata_smart_self_test_log?: { standard?: { error_count_total?: number; error_count_outdated?: number } };
  nvme_smart_health_information_log?: {
    critical_warning?: number;
    available_spare?: number;
    available_spare_threshold?: number;
    percentage_used?: number;
    media_errors?: number;
  };
}

/** SSD wear attributes whose normalised value counts down from 100 (Wear_Leveling_Count, Media_Wearout_Indicator, …). */
const WEAR_ATTRIBUTES = new Set([177, 202, 231, 233]);

/** The NVMe critical warning byte, bit by bit (NVMe base specification, SMART / Health Information log). */
const NVME_CRITICAL_WARNINGS = [
  'available spare below its threshold',
  'temperature outside its limits',
  'reliability degraded by media or internal errors',
  'media placed in read-only mode',
  'volatile memory backup failed',
  'persistent memory region unreliable',
];

/** -a reads the error and self-test logs too: bits 6 and 7 (and the log counts) only come from them. */
export function smartctlArgs(device: string): string[] {
  return ['--json', '-a', device];
}

export function decodeSmart(device: string, exitStatus: number, stdout: string): SmartReport {
  let json: SmartJson = {};
  try {
    json = JSON.parse(stdout) as SmartJson;
  } catch {
    // an old smartctl without --json, or no output at all: not assessable
  }
  const status = json.smartctl?.exit_status ?? exitStatus;
  const messages = json.smartctl?.messages?.map((message) => message.string).join('; ');
  const attributes = json.ata_smart_attributes?.table ?? [];
  const nvme = json.nvme_smart_health_information_log;
  const raw = (id: number) => attributes.find((attribute) => attribute.id === id)?.raw.value;
  const wearAttribute = attributes.find((attribute) => WEAR_ATTRIBUTES.has(attribute.id));
  const assessable = json.smart_status !== undefined || attributes.length > 0 || nvme !== undefined;

  const failures: string[] = [];
  if (status & 8 || json.smart_status?.passed === false) failures.push('overall health FAILED');
  // smartctl's JSON says when an attribute was at its threshold: "now", "past" or "".
  const failingNow = attributes.filter((item) => item.when_failed === 'now');
  for (const attribute of failingNow) failures.push(`${attribute.name} at its threshold now`);
  if (status & 16 && failingNow.length === 0) failures.push('a pre-fail attribute is at its threshold now');
  const critical = nvme?.critical_warning ?? 0;
  NVME_CRITICAL_WARNINGS.forEach((meaning, bit) => critical & (1 << bit) && failures.push(`critical warning: ${meaning}`));
  if (
    nvme?.available_spare !== undefined &&
    nvme.available_spare_threshold !== undefined &&
    nvme.available_spare < nvme.available_spare_threshold &&
    !(critical & 1)
  ) {
    failures.push(`available spare ${nvme.available_spare}% below its threshold ${nvme.available_spare_threshold}%`);
  }

  const warnings: string[] = [];
  const past = attributes.filter((item) => item.when_failed === 'past');
  if (status & 32 && past.length === 0) warnings.push('an attribute was at or below its threshold in the past');
  for (const attribute of past) warnings.push(`${attribute.name} was at its threshold in the past`);
  const loggedErrors = json.ata_smart_error_log?.summary?.count;
  if (status & 64 || loggedErrors) warnings.push(loggedErrors ? `the device error log has ${loggedErrors} errors` : 'the device error log has errors');
  const selfTest = json.ata_smart_self_test_log?.standard;
  const failedTests = (selfTest?.error_count_total ?? 0) - (selfTest?.error_count_outdated ?? 0);
  if (status & 128 || failedTests > 0) warnings.push(failedTests > 0 ? `the self-test log has ${failedTests} failed tests` : 'the self-test log has errors');
  const reallocated = raw(5);
  const pending = raw(197);
  const uncorrectable = raw(198);
  if (reallocated) warnings.push(`${reallocated} reallocated sectors`);
  if (pending) warnings.push(`${pending} sectors pending reallocation`);
  if (uncorrectable) warnings.push(`${uncorrectable} offline uncorrectable sectors`);
  if (nvme?.media_errors) warnings.push(`${nvme.media_errors} media and data integrity errors`);

  return {
    device,
    assessable,
    failures: assessable ? failures : [],
    warnings: assessable ? warnings : [],
    healthFromAttributes: assessable && status & 4 ? `a SMART command failed${messages ? ` (${messages})` : ''}` : undefined,
    exitStatus: status,
    model: json.model_name,
    serial: json.serial_number,
    temperatureC: json.temperature?.current,
    reallocatedSectors: reallocated,
    pendingSectors: pending,
    wearPercent: nvme?.percentage_used ?? (wearAttribute ? 100 - wearAttribute.value : undefined),
    mediaErrors: nvme?.media_errors,
    reason: assessable ? undefined : messages || `smartctl exit status ${status}`,
  };
}

export async function readSmart(smartctl: string, device: string, signal?: AbortSignal): Promise<SmartReport> {
  const result = await exec(smartctl, smartctlArgs(device), { signal, timeout: 60_000, systemWide: true });
  if (result.notFound)
    return { device, assessable: false, failures: [], warnings: [], exitStatus: 2, reason: `${smartctl} is not installed (Debian package smartmontools)` };
  return decodeSmart(device, result.exitCode ?? 2, result.stdout);
}
