import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Programs that need hardware, as small executables that append their argv to calls.log and behave like the real
 * ones where it matters: rtcwake -m no arms the (test root's) sysfs wakealarm unless the RTC is "not enabled for
 * wakeup events" or the alarm "reads back empty"; rtcwake -m mem spends the alarm; systemctl answers is-active from
 * a file, and start says what systemd 257 says of a unit that is not installed; poweroff's shutdown sends SIGTERM to
 * the pass that asked for it, half a second later; loginctl lists the sessions written to a file.
 */
export function fakes(home: string, root: string): Record<string, string> {
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  const alarm = join(root, 'sys/class/rtc/rtc0/wakealarm');
  const scripts: Record<string, string> = {
    rtcwake: `
if [ -e "${home}/rtc-not-wakeup" ]; then echo "rtcwake: /dev/rtc0 not enabled for wakeup events" >&2; exit 1; fi
mode=$2; epoch=$6
case "$mode" in
  no) [ -e "${home}/alarm-empty" ] || echo "$epoch" > "${alarm}"; echo "rtcwake: wakeup using /dev/rtc0 at whenever" ;;
  mem) : > "${alarm}" ;;
esac`,
    hwclock: '',
    systemctl: `
case "$1" in
  is-active) cat "${home}/ssh-state" 2>/dev/null || echo inactive; [ "$(cat "${home}/ssh-state" 2>/dev/null)" = active ] ;;
  start) [ ! -e "${home}/no-such-unit" ] || { echo "Failed to start $2: Unit $2 not found." >&2; exit 5; } ;;
  suspend) [ ! -e "${home}/suspend-fails" ] || { echo "Failed to suspend system via logind: Sleep verb \\"suspend\\" not supported" >&2; exit 1; } ;;
esac`,
    // The shutdown it starts stops the unit the pass runs in a moment later (SIGTERM), if the pass is still there.
    poweroff: `(sleep 0.5; kill -0 $PPID && echo "shutdown: SIGTERM" >> "${home}/calls.log" && kill -TERM $PPID) > /dev/null 2>&1 &`,
    loginctl: `
case "$1" in
  list-sessions) [ -e "${home}/sessions" ] && awk '{ print $1, 1000, $2, "", "pts/0" }' "${home}/sessions" ;;
  show-session) awk -v id="$2" '$1 == id { print "Class=" $3; print "Name=" $2; print "Remote=yes"; print "State=active" }' "${home}/sessions" ;;
esac
exit 0`,
    'systemd-inhibit': 'exec "$@"',
  };
  for (const [name, body] of Object.entries(scripts)) {
    const file = join(bin, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${home}/calls.log"\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return Object.fromEntries(Object.keys(scripts).map((name) => [name, join(bin, name)]));
}
