import { CdpError } from './cdp-error.js';
import { ErrorCodes } from './error-codes.js';

/** The embedded ClickHouse data folder is held by another process (chDB allows one process per folder). */
export class DataDirLockedError extends CdpError {
  constructor(readonly dataDir: string, options?: ErrorOptions) {
    super(
      ErrorCodes.DataDirLocked,
      503,
      `the data folder ${dataDir} is in use by another cdp process (embedded ClickHouse allows one process per folder); ` +
        'stop it, use another CDP_DATA_DIR, or run the command against the running server',
      options,
    );
  }
}
