// Types of bin/dist-state.js (plain JavaScript: bin/ runs before anything is compiled).
export declare const STAMP_FILE: string;
export declare function newestMtime(dir: string): number;
export declare function distState(root: string): { current: true } | { current: false; reason: string };
