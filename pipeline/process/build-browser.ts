import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { projectRoot } from '../core/project-root.js';
import { WEB_DIR } from '../core/web-dir.js';

/** Browser bundles, built from TypeScript by esbuild into dist/web/ as part of `npm run build`. */
export const BROWSER_BUNDLES = [
  // The tracking snippet's script, served at /cdp.js; its gzipped size is held to a budget.
  { entry: 'ingest/snippet/cdp.ts', out: 'cdp.js', maxGzipBytes: 6 * 1024 },
  // The dashboard served at /.
  { entry: 'pipeline/dashboard/web/dashboard.ts', out: 'dashboard.js', maxGzipBytes: undefined },
] as const;

export async function buildBrowserBundles(): Promise<{ file: string; bytes: number; gzipBytes: number }[]> {
  // esbuild is a build-time tool: loaded here so the servers that only read WEB_DIR do not need it installed.
  const { build } = await import('esbuild');
  mkdirSync(WEB_DIR, { recursive: true });
  const built = [];
  for (const bundle of BROWSER_BUNDLES) {
    const outfile = path.join(WEB_DIR, bundle.out);
    await build({
      entryPoints: [path.join(projectRoot(), bundle.entry)],
      outfile,
      bundle: true,
      minify: true,
      format: 'iife',
      target: ['es2018'],
      platform: 'browser',
      sourcemap: false,
      legalComments: 'none',
    });
    const code = readFileSync(outfile);
    const gzipBytes = gzipSync(code, { level: 9 }).length;
    if (bundle.maxGzipBytes !== undefined && gzipBytes > bundle.maxGzipBytes) {
      throw new Error(`${bundle.out} is ${gzipBytes} bytes gzipped, over its budget of ${bundle.maxGzipBytes}`);
    }
    built.push({ file: bundle.out, bytes: code.length, gzipBytes });
  }
  writeFileSync(path.join(WEB_DIR, 'bundles.json'), JSON.stringify(built, null, 2));
  return built;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  for (const b of await buildBrowserBundles()) console.log(`dist/web/${b.file}: ${b.bytes} bytes, ${b.gzipBytes} gzipped`);
}
