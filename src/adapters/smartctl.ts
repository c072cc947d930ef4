import { exec } from '../exec.js';

/** SMART health of one disk, decoded from `smartctl --json -H -A -i` (REFERENCE §5.1). */
export interface SmartReport {
  device: string;
  /** smartctl could not ask the disk (exit bits 0-2): health unknown, not failed. */
  assessable: boolean;
  /** Overall health: failing (bit 3, passed:false) or a pre-fail attribute at its threshold now (bit 4). */
  failing: boolean;
  /** Old-age attributes past their threshold, errors in the device or self-test log (bits 5-7). */
  warnings: string[];
  exitStatus: number;
  model?: string;
  serial?: string;
  temperatureC?: number;
  reallocatedSectors?: number;
  pendingSectors?: number;
  /** Percent of rated endurance used (NVMe percentage_used, or 100 - the SSD wear attribute's normalised value). */
  wearPercent?: number;
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
  nvme_smart_health_information_log?: { percentage_used?: number; media_errors?: number };
}

/** SSD wear attributes whose normalised value counts down from 100 (Wear_Leveling_Count, Media_Wearout_Indicator, …). */
const WEAR_ATTRIBUTES = new Set([177, 202, 231, 233]);

export function smartctlArgs(device: string): string[] {
  return ['--json', '-H', '-A', '-i', device];
}

export function decodeSmart(device: string, exitStatus: number, stdout: string): SmartReport {
  let json: SmartJson = {};
  try {
    json = JSON.parse(stdout) as SmartJson;
  } catch {
    // an old smartctl without --json, or no output at all: not assessable
  }
  const status = json.smartctl?.exit_status ?? exitStatus;
  const attributes = json.ata_smart_attributes?.table ?? [];
  const raw = (id: number) => attributes.find((attribute) => attribute.id === id)?.raw.value;
  const wearAttribute = attributes.find((attribute) => WEAR_ATTRIBUTES.has(attribute.id));
  const warnings: string[] = [];
  if (status & 32) warnings.push('an attribute was at or below its threshold in the past');
  if (status & 64) warnings.push('the device error log has errors');
  if (status & 128) warnings.push('the self-test log has errors');
  const oldAge = attributes.filter((attribute) => attribute.when_failed && attribute.when_failed !== '-');
  for (const attribute of oldAge) warnings.push(`${attribute.name} failed ${attribute.when_failed}`);
  const reallocated = raw(5);
  const pending = raw(197);
  if (reallocated) warnings.push(`${reallocated} reallocated sectors`);
  if (pending) warnings.push(`${pending} sectors pending reallocation`);
  const assessable = (status & 7) === 0 && json.smart_status !== undefined;
  return {
    device,
    assessable,
    failing: Boolean(status & 8) || Boolean(status & 16) || json.smart_status?.passed === false,
    warnings,
    exitStatus: status,
    model: json.model_name,
    serial: json.serial_number,
    temperatureC: json.temperature?.current,
    reallocatedSectors: reallocated,
    pendingSectors: pending,
    wearPercent: json.nvme_smart_health_information_log?.percentage_used ?? (wearAttribute ? 100 - wearAttribute.value : undefined),
    reason: assessable ? undefined : (json.smartctl?.messages?.map((message) => message.string).join('; ') || `smartctl exit status ${status}`),
  };
}

export async function readSmart(smartctl: string, device: string, signal?: AbortSignal): Promise<SmartReport> {
  const result = await exec(smartctl, smartctlArgs(device), { signal, timeout: 60_000 });
  if (result.notFound) return { device, assessable: false, failing: false, warnings: [], exitStatus: 2, reason: `${smartctl} is not installed (Debian package smartmontools)` };
  return decodeSmart(device, result.exitCode ?? 2, result.stdout);
}
