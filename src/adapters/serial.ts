import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';

/** MicroPython's rp2 USB ids, which the Badger 2040's firmware keeps (REFERENCE §1.6). */
export const BADGER_USB_ID = { vendorId: '2e8a', productId: '0005' };
/** udev's stable name for it: /dev/serial/by-id/usb-MicroPython_Board_in_FS_mode_<serial>-if00 */
const BY_ID_NAME = /^usb-MicroPython_.*-if00$/;

/** A port that cannot be had; the message does not repeat the path (whoever reports it names the port). */
export class SerialError extends Error {}

/**
 * Where the Badger is: a /dev/serial/by-id link (stable across replugging) under `root`, else any port with the USB
 * id that udev knows of. Undefined when none is plugged in.
 */
export async function findBadger(root: string): Promise<string | undefined> {
  const byId = join(root, 'dev/serial/by-id');
  let names: string[] = [];
  try {
    names = readdirSync(byId)
      .filter((name) => BY_ID_NAME.test(name))
      .sort();
  } catch {
    // no serial device at all: the directory exists only while one is plugged in
  }
  if (names.length > 0) return join(byId, names[0]!);
  const { SerialPort } = await import('serialport');
  const ports = await SerialPort.list().catch(() => []);
  const badger = ports.find((port) => port.vendorId?.toLowerCase() === BADGER_USB_ID.vendorId && port.productId?.toLowerCase() === BADGER_USB_ID.productId);
  return badger?.path;
}

/**
 * Opens the port exclusively (a second odbackup, or mpremote, gets "busy" instead of mixing bytes with ours) and
 * asserts DTR: without it the rp2 firmware drops its output. A pty has no modem lines: there DTR cannot be set,
 * and need not be.
 */
export async function openSerial(path: string, timeoutMs = 5000): Promise<SerialPort> {
  // Loaded on first use, like the native binding under it: only the display needs it.
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate: 115200, lock: true, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    // open() of a wedged USB device can block in the kernel: give up, and close the port if it opens later.
    const timer = setTimeout(() => {
      port.once('open', () => void closeSerial(port));
      reject(new SerialError(`the port did not open within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    port.open((error) => {
      clearTimeout(timer);
      if (!error) return resolve();
      const busy = /lock|busy/i.test(error.message);
      // serialport says "Error: <reason>, cannot open <path>"; the caller names the path once.
      const reason = error.message.replace(/^Error:?\s*/, '').replace(/, cannot open .*$/, '');
      reject(new SerialError(busy ? 'the port is in use by another program (mpremote, a second odbackup?)' : `cannot open it: ${reason}`));
    });
  });
  await new Promise<void>((resolve) => port.set({ dtr: true, rts: true }, () => resolve()));
  closeWhenGone(port, path);
  return port;
}

/**
 * A hung-up tty (USB unplugged) reads as end of file, which serialport retries without end instead of reporting;
 * the device node disappearing is the sure sign. Closing the port ends every wait on it at once.
 */
function closeWhenGone(port: SerialPort, path: string): void {
  const timer = setInterval(() => {
    if (!existsSync(path)) void closeSerial(port);
  }, 200);
  port.on('close', () => clearInterval(timer));
}

/** Closes the port if it is still open (after an unplug it is already gone). */
export function closeSerial(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => port.close(() => resolve()));
}
