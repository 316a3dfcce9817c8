// Types of bin/bundle.js (plain JavaScript: bin/ runs before anything is compiled).
export declare const BUNDLE_DIR: string;
/** Bundles `dist` (a compiled tree) into `dist`/bundle. */
export declare function bundleDist(dist: string): Promise<void>;
