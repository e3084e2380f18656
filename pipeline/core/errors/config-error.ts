import { ErrorCodes } from './error-codes.js';

export interface ConfigProblem {
  variable: string;
  message: string;
}

/** One or more environment variables are invalid; each problem names its variable. */
export class ConfigError extends Error {
  readonly code = ErrorCodes.ConfigInvalid;
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
