import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { codeTable, EXIT_CODES, exitCodeOf, type ExitCodeName } from './exit-codes.js';
import { createLogger, type Logger } from './log.js';
import type { RunLock } from './state/lock.js';
import { loadSteps, STEP_NAMES } from './registry.js';
import type { StepResult } from './result.js';
import { SRC_DIR } from './paths.js';
import type { AnyStep, StepOption } from './steps/types.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', SRC_DIR), 'utf8')) as { version: string }).version;

interface GlobalOptions {
  config?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

export function exitCodeEpilog(): string {
  const rows = codeTable().map((row) => `  ${String(row.code).padStart(3)}  ${row.meaning}`);
  return `\nExit status (the number the e-ink shows as FAILED (N); also \`odbackup codes\`):\n${rows.join('\n')}\n`;
}

const GLOBAL_OPTIONS: [flags: string, description: string][] = [
  ['-c, --config <file>', 'configuration file (default: $ODBACKUP_CONFIG or /etc/odbackup/odbackup.json)'],
  ['--json', 'print the result as JSON on stdout'],
  ['-v, --verbose', 'log every step as it goes (at a terminal only warnings, errors and notices are) and debug lines'],
  ['-q, --quiet', 'log only warnings and errors'],
  // chalk reads --no-color from argv itself (and NO_COLOR, render.ts); commander must only accept it.
  ['--no-color', 'no colours (also when NO_COLOR is set)'],
];

/** The global options given after the subcommand (commander keeps them on the subcommand). */
function definedOnly(options: GlobalOptions): GlobalOptions {
  const names = GLOBAL_OPTIONS.map((option) => new Option(...option).attributeName());
  return Object.fromEntries(Object.entries(options).filter(([name, value]) => value !== undefined && names.includes(name)));
}

/**
 * The steps this command line needs: the subcommand's own (the first word that is not a global option or its
 * value), none for `--version`, all for --help or anything unknown (commander then lists them or suggests one).
 */
export function stepsNeeded(args: readonly string[]): readonly string[] {
  if (args[0] === '-V' || args[0] === '--version') return [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '-c' || arg === '--config') index++;
    else if (!arg.startsWith('-')) return STEP_NAMES.includes(arg) ? [arg] : STEP_NAMES;
  }
  return STEP_NAMES;
}

/** How long a pass that asked for the power-off waits for the shutdown to stop it before it exits by itself. */
const SHUTDOWN_WAIT_MS = 60_000;

/**
 * SIGINT/SIGTERM: the first aborts the data steps, a second one the always-run steps too. Once the pass has asked for
 * the power-off, the shutdown's SIGTERM (it stops the pass's unit) is expected: it changes nothing, and the process
 * waits for it before it exits. Arriving while node tears itself down, after its handlers are gone, it would kill the
 * process: a failed unit at every power-off night, as seen on the arm64 guest.
 */
function signalControllers() {
  const first = new AbortController();
  const second = new AbortController();
  let expected = false;
  let stoppedByShutdown = () => {};
  const shutdown = new Promise<void>((resolve) => (stoppedByShutdown = resolve));
  const handler = (name: NodeJS.Signals) => {
    if (expected) return stoppedByShutdown();
    const reason: ExitCodeName = name === 'SIGTERM' ? 'terminated' : 'interrupted';
    if (!first.signal.aborted) first.abort(reason);
    else second.abort(reason);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: first.signal,
    finalSignal: second.signal,
    expectTermination: () => void (expected = true),
    /** Resolves when the command may exit: at once, or (power-off asked for) once the shutdown has sent its signal. */
    async done(): Promise<void> {
      if (!expected) {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([shutdown, new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)))]);
      clearTimeout(timer);
    },
  };
}

/**
 * What running a step takes (configuration, state, the pass loop, the renderer), loaded only when a step runs:
 * `--version` and `--help` start without it (about 0.04 s of module loading).
 */
async function runner() {
  const [{ configPathFrom }, { createContext }, { resultOfError, runStep }, render] = await Promise.all([
    import('./config/load.js'),
    import('./context.js'),
    import('./pass/run.js'),
    import('./render.js'),
  ]);
  return { configPathFrom, createContext, resultOfError, runStep, render };
}

/** stdout and stderr of a result, with every secret of the configuration masked. */
function print(step: AnyStep, result: StepResult, json: boolean, log: Logger, { warningLines, failureLines }: typeof import('./render.js')): void {
  const out = (text: string) => process.stdout.write(log.mask(text) + '\n');
  log.clearProgress();
  // The result goes to stdout; its warnings to the log in both forms (the journal has each once).
  if (json) {
    const exitCode = result.status === 'failed' ? exitCodeOf(result.code ?? 'internal') : 0;
    out(JSON.stringify({ command: step.name, exitCode, ...result }, null, 2));
    for (const line of warningLines(result)) log.report('warn', line);
    return;
  }
  const body = result.status === 'failed' && result.data === undefined ? undefined : step.render ? step.render(result) : result.message;
  if (body) out(body);
  for (const line of warningLines(result)) log.report('warn', line);
  if (result.status === 'failed') log.report('error', failureLines(step.name, result));
}

/** A step's option as commander checks it: its choices, or a whole number in its range (a bad value exits 2). */
function optionOf(option: StepOption): Option {
  const spec = new Option(option.flags, option.description).default(option.defaultValue);
  if (option.choices) spec.choices(option.choices);
  const range = option.integer;
  if (range) {
    spec.argParser((value: string) => {
      const number = Number(value);
      if (!/^-?\d+$/.test(value) || number < range.min || number > range.max)
        throw new InvalidArgumentError(`a whole number from ${range.min} to ${range.max}`);
      return number;
    });
  }
  return spec;
}

/** Parses argv, runs one step, prints its result; returns the exit code (bin/odbackup.js sets it, nothing else). */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const signals = signalControllers();
  const program = new Command('odbackup')
    .description('daily pull-backup pass of an odbackup node: pull, prove, show, report, sleep')
    .version(VERSION)
    // Options before the subcommand are the program's, after it the subcommand's: `restore --version 2` is not
    // the program's --version. The global options are taken on both sides.
    .enablePositionalOptions()
    .addHelpText('after', exitCodeEpilog())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const option of GLOBAL_OPTIONS) program.addOption(new Option(...option));

  for (const step of await loadSteps(stepsNeeded(argv.slice(2)))) {
    const command = program.command(step.name).description(step.summary).exitOverride();
    for (const option of GLOBAL_OPTIONS) command.addOption(new Option(...option).hideHelp());
    for (const argument of step.arguments ?? []) {
      const spec = new Argument(
        `${argument.required ? '<' : '['}${argument.name}${argument.variadic ? '...' : ''}${argument.required ? '>' : ']'}`,
        argument.description,
      );
      if (argument.choices) spec.choices(argument.choices);
      command.addArgument(spec);
    }
    for (const option of step.options ?? []) command.addOption(optionOf(option));
    command.action(async (...params: unknown[]) => {
      const commandObject = params.at(-1) as Command;
      const options = commandObject.opts();
      const globals = { ...program.opts<GlobalOptions>(), ...definedOnly(options as GlobalOptions) };
      const args = (params.slice(0, -2) as (string | string[] | undefined)[]).flat().filter((arg): arg is string => arg !== undefined);
      const log = createLogger({ verbose: globals.verbose, quiet: globals.quiet });
      const { configPathFrom, createContext, resultOfError, runStep, render } = await runner();
      const ctx = createContext({
        configPath: configPathFrom(globals.config),
        log,
        signal: signals.signal,
        finalSignal: signals.finalSignal,
        expectTermination: signals.expectTermination,
        dryRun: Boolean(options.dryRun),
      });
      let lock: RunLock | undefined;
      let result: StepResult;
      try {
        // Load the configuration and take the lock before anything is touched: a bad config exits 2 here.
        // A dry run changes nothing, so it takes no lock either (and creates no state directory for one).
        if (step.locked && ctx.dryRun) void ctx.config;
        else if (step.locked) lock = ctx.state.lock(step.name);
        result = await runStep(step, ctx, { args, options });
      } catch (error) {
        result = resultOfError(step.name, error, log);
      } finally {
        lock?.release();
      }
      print(step, result, Boolean(globals.json), log, render);
      exitCode = result.status === 'failed' ? EXIT_CODES[result.code ?? 'internal'].code : 0;
    });
  }

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    exitCode = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code) ? 0 : exitCodeOf('usage');
  } finally {
    await signals.done();
  }
  if (signals.signal.aborted) exitCode = exitCodeOf(signals.signal.reason as ExitCodeName);
  return exitCode;
}
