import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError } from '../../pipeline/core/errors/config-error.js';
import { installationSecret, SECRET_FILE } from '../../pipeline/core/installation-secret.js';
import { tempDir } from '../helpers/test-product.js';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir('cdp-secret-');
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('installationSecret', () => {
  test('without CDP_SECRET: secret.key in the data folder, made once, readable by its owner only', () => {
    const dataDir = dir();
    const first = installationSecret({ CDP_SECRET: undefined, dataDir });
    const file = path.join(dataDir, SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.toString()).toMatch(/^[0-9a-f]{64}$/);
    expect(installationSecret({ CDP_SECRET: undefined, dataDir }).equals(first)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString());
    // Nothing else is left behind by the write-then-link.
    expect(readdirSync(dataDir)).toEqual([SECRET_FILE]);
    // Another installation, another secret.
    expect(installationSecret({ CDP_SECRET: undefined, dataDir: dir() }).equals(first)).toBe(false);
  });

  test('CDP_SECRET wins, and no file is made', () => {
    const dataDir = dir();
    expect(installationSecret({ CDP_SECRET: 'k'.repeat(32), dataDir }).toString()).toBe('k'.repeat(32));
    expect(() => statSync(path.join(dataDir, SECRET_FILE))).toThrow();
  });

  test('a secret.key too short to be a secret stops the start', () => {
    const dataDir = dir();
    writeFileSync(path.join(dataDir, SECRET_FILE), 'short\n');
    expect(() => installationSecret({ CDP_SECRET: undefined, dataDir })).toThrow(ConfigError);
  });
});
