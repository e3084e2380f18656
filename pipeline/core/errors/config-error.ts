import { CdpError } from './cdp-error.js';
import { ErrorCodes } from './error-codes.js';

export interface ConfigProblem {
  variable: string;
  message: string;
}

/** One or more environment variables are invalid; each problem names its variable. */
export class ConfigError extends CdpError {
  constructor(readonly problems: ConfigProblem[]) {
    super(ErrorCodes.ConfigInvalid, 500, `invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
  }
}
