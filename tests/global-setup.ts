import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

// The snippet and dashboard tests drive Debian's chromium. As the product does for redis-server, the test
// run installs it with apt when it is missing and we are root, once, before any test file starts (two test
// processes running apt at once would fight over its lock); otherwise it says what to install.
export default function setup(): void {
  const bin = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(bin)) return;
  const root = process.getuid?.() === 0;
  const apt = !spawnSync('apt-get', ['--version']).error;
  if (bin === '/usr/bin/chromium' && root && apt) {
    process.stderr.write('chromium not found; installing the chromium package with apt-get for the browser tests\n');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (existsSync(bin)) return;
  }
  throw new Error(`the browser tests need chromium at ${bin}: install it with \`sudo apt-get install -y chromium\`, or set CHROMIUM_PATH`);
}
