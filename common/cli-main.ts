/**
 * The one top-level error handler of every CLI: the exit code is the CLI's own result; a usage
 * error (commander's or a ConfigError) exits 2 with its message; any other failure exits 1 with
 * its message, unless the CLI already logged it (`logged: true`).
 */
import { CommanderError } from 'commander';
import { locateConfigError } from './cli-config';
import { ConfigError, errorMessage } from './errors';

export function runMain(name: string, main: () => Promise<number>): void {
  // A reader that leaves early (`--help | head`, `search | head`) is the end of our output, not a
  // crash: without a listener, EPIPE is an unhandled 'error' event. Commands that keep working
  // without stdout (detect) learn of it through their own line writer.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  main().then(
    (code) => process.exit(code),
    (thrown: unknown) => {
      const err = locateConfigError(thrown); // a bad value from a config file names file:line:col
      if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
      if (err instanceof ConfigError || !(err as { logged?: boolean } | undefined)?.logged) process.stderr.write(`${name}: ${errorMessage(err)}\n`);
      process.exit(err instanceof ConfigError ? 2 : 1);
    },
  );
}
