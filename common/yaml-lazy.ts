/**
 * The yaml module, loaded on first use: a producer started without a config file, or with one of
 * comments only (the packages install such a file), never needs it, and loading it costs ~5 MiB
 * of RSS on every host.
 */
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  // A synchronous load: the configuration is read before anything else runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('yaml') as typeof Yaml);
}
