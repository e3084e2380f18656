#!/usr/bin/env node
// The CLI is written in TypeScript and compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import('../dist/pipeline/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/pipeline/cli/main.js')) {
    console.error('cdp: the build is missing; run `npm ci` (or `npm run build`) in the project folder first.');
    process.exit(1);
  }
  throw err;
});
