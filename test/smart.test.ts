import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSmart, smartctlArgs } from '../src/adapters/smartctl.js';
import { ROOT } from './helpers.js';

/** A recording of a real disk (test/fixtures/smartctl/README.md), decoded with the exit status smartctl gave. */
function recorded(name: string) {
  const text = readFileSync(join(ROOT, 'test/fixtures/smartctl', name), 'utf8');
  const exitStatus = (JSON.parse(text) as { smartctl: { exit_status: number } }).smartctl.exit_status;
  return decodeSmart('/dev/sdx', exitStatus, text);
}

test('smartctl reads health, attributes and the error and self-test logs', () => {
  assert.deepEqual(smartctlArgs('/dev/sda'), ['--json', '-a', '/dev/sda']);
});

test('a healthy Samsung datacenter SATA SSD: passed, no warnings, wear from Wear_Leveling_Count', () => {
  const smart = recorded('samsung-sm843t-sata-ssd.json');
  assert.deepEqual([smart.assessable, smart.failures, smart.warnings, smart.healthFromAttributes], [true, [], [], undefined]);
  assert.deepEqual([smart.model, smart.temperatureC, smart.reallocatedSectors, smart.wearPercent], ['SAMSUNG MZ7WD240HAFV-00003', 27, 0, 9]);
});

test('exit bit 2 behind a MegaRAID: the attributes were read, and they give the verdict', () => {
  const healthy = recorded('wd-re-hdd-behind-megaraid.json');
  assert.deepEqual([healthy.exitStatus, healthy.assessable, healthy.failures, healthy.warnings], [4, true, [], []]);
  assert.equal(healthy.healthFromAttributes, 'a SMART command failed (Warning: This result is based on an Attribute check.)');
  const worn = recorded('wd-re-hdd-reallocated-behind-megaraid.json');
  assert.deepEqual([worn.assessable, worn.failures, worn.warnings, worn.reallocatedSectors], [true, [], ['387 reallocated sectors'], 387]);
});

test('a failing disk behind a USB bridge: FAILED, the attribute failing now, and what the logs hold', () => {
  const smart = recorded('hitachi-hdd-failing-usb-jmicron.json');
  assert.equal(smart.exitStatus, 216);
  assert.deepEqual(smart.failures, ['overall health FAILED', 'Reallocated_Sector_Ct at its threshold now']);
  assert.deepEqual(smart.warnings, [
    'the device error log has 56 errors',
    'the self-test log has 3 failed tests',
    '1975 reallocated sectors',
    '8 sectors pending reallocation',
  ]);
});

test('an NVMe that passes its own status but has media errors is a warning, not PASSED alone', () => {
  const smart = recorded('samsung-970-evo-nvme-media-errors.json');
  assert.deepEqual([smart.assessable, smart.failures, smart.warnings], [true, [], ['7 media and data integrity errors']]);
  assert.deepEqual([smart.mediaErrors, smart.wearPercent], [7, 3]);
});

test('NVMe critical warning bits and a spare under its threshold fail the disk', () => {
  const base = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/smartctl/samsung-970-evo-nvme-media-errors.json'), 'utf8')) as {
    nvme_smart_health_information_log: Record<string, number>;
  };
  const log = base.nvme_smart_health_information_log;
  const worn = decodeSmart(
    '/dev/nvme0',
    0,
    JSON.stringify({ ...base, nvme_smart_health_information_log: { ...log, critical_warning: 0x0c, available_spare: 4 } }),
  );
  assert.deepEqual(worn.failures, [
    'critical warning: reliability degraded by media or internal errors',
    'critical warning: media placed in read-only mode',
    'available spare 4% below its threshold 10%',
  ]);
});

test("no data at all: health could not be read, in smartctl's own words", () => {
  const open = recorded('open-failed.json');
  assert.deepEqual(
    [open.assessable, open.exitStatus, open.reason],
    [false, 2, 'Smartctl open device: /dev/sda failed: \\\\.\\PhysicalDrive0: Open failed, Error=5'],
  );
  const bridge = recorded('device-type-unknown.json');
  assert.deepEqual([bridge.assessable, bridge.exitStatus, bridge.reason], [false, 1, '/dev/nonexistent: Unable to detect device type']);
  const silent = decodeSmart('/dev/sda', 2, '');
  assert.deepEqual([silent.assessable, silent.failures, silent.reason], [false, [], 'smartctl exit status 2']);
});
