import { CdpError } from '../../core/errors/cdp-error.js';
import { ErrorCodes } from '../../core/errors/error-codes.js';

/** A migration statement the cluster transformation does not know: its migration must use one of the known forms. */
export class ClusterDdlError extends CdpError {
  constructor(readonly statement: string) {
    super(
      ErrorCodes.ClusterDdl,
      500,
      'cannot turn this migration statement into cluster DDL (known forms: CREATE DATABASE, CREATE TABLE IF NOT EXISTS db.t (...) ENGINE = ..., ' +
        `CREATE [OR REPLACE] VIEW, CREATE MATERIALIZED VIEW IF NOT EXISTS ... TO ..., ALTER TABLE, INSERT INTO): ${statement.slice(0, 160)}`,
    );
  }
}
