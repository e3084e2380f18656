// esbuild bundles the stylesheet imported by the entry into dist/web/dashboard.css.
declare module '*.css';
