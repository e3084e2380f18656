import type { Config, Role } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { startProduct } from '../../process/start.js';

/** `cdp start [--roles api,workers,scheduler]`: runs until SIGTERM/SIGINT, then stops gracefully. */
export async function startCommand(config: Config, roles: Role[]): Promise<void> {
  const log = createLogger(config);
  const product = await startProduct(config, roles, log);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(130);
    }
    log.info({ signal }, 'signal received');
    const force = setTimeout(() => {
      log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'graceful shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    product.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
