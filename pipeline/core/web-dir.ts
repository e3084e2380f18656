import path from 'node:path';
import { projectRoot } from './project-root.js';

/** Where `npm run build` writes the browser bundles (the snippet and the dashboard), and where the servers read them. */
export const WEB_DIR = path.join(projectRoot(), 'dist', 'web');
