// SRS's command line: -c <file>, -t, -e, -v/-V, -g/-G, -h/-?.

import { ConfigError } from '../core/errors.js';

export interface CliArgs {
  configFile: string;
  testOnly: boolean;
  envOnly: boolean;
  action: 'run' | 'version' | 'signature' | 'help';
}

export const USAGE = `Usage: tsrs [-h?vVgGe] [-t] [-c <filename>]
Options:
   -?, -h              : Show this help and exit 0.
   -v, -V              : Show version and exit 0.
   -g, -G              : Show server signature and exit 0.
   -e                  : Use environment variable SRS_* only, ignore the config file.
   -t                  : Test the config file and exit: 0 valid, 1 invalid.
   -c <filename>       : Use the config file (default conf/srs.conf).
For example:
   tsrs -v
   tsrs -t -c conf/srs.conf
   tsrs -c conf/srs.conf
`;

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = {}): CliArgs {
  const out: CliArgs = { configFile: 'conf/srs.conf', testOnly: false, envOnly: false, action: 'run' };
  if (argv.length === 0) out.action = 'help';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a.length < 2) throw new ConfigError(`invalid option: ${a}`);
    // Flags may be grouped (-tc file) like SRS's getopt-style parser; -c takes the rest or the next arg.
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!;
      if (f === 'c') {
        const rest = a.slice(j + 1);
        const file = rest || argv[++i];
        if (!file) throw new ConfigError('option -c requires a file name');
        out.configFile = file;
        break;
      }
      if (f === 't') out.testOnly = true;
      else if (f === 'e') out.envOnly = true;
      else if (f === 'v' || f === 'V') out.action = 'version';
      else if (f === 'g' || f === 'G') out.action = 'signature';
      else if (f === 'h' || f === '?') out.action = 'help';
      else throw new ConfigError(`invalid option: -${f}`);
    }
  }
  if (env.SRS_CONFIG_FILE) out.configFile = env.SRS_CONFIG_FILE;
  if (env.SRS_ENV_ONLY) out.envOnly = true;
  return out;
}
