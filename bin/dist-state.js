// Whether dist/ (the compiled JavaScript `npm run build` makes) may run instead of the TypeScript
// sources. The build writes dist/.build-stamp.json with the newest modification time found under
// src/ when it started; dist/ is current while nothing under src/ is newer. Editing a file moves its
// mtime, and adding, removing or renaming one moves its directory's, so any change since the build
// makes dist/ stale and `mikey` falls back to running src/ through tsx. Cost: one stat per file and
// directory under src/ (a few milliseconds).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const STAMP_FILE = '.build-stamp.json';

/** The newest mtime (ms) of `dir` and of every file and directory under it; 0 when it does not exist. */
export function newestMtime(dir) {
  let newest;
  try {
    newest = statSync(dir).mtimeMs;
  } catch {
    return 0;
  }
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * `{ current: true }` when `root`/dist holds a build of `root`/src that nothing has changed since;
 * otherwise `{ current: false, reason }`.
 */
export function distState(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, 'dist', STAMP_FILE), 'utf8'));
  } catch {
    return { current: false, reason: 'dist/ has not been built (npm run build)' };
  }
  if (typeof stamp?.sourcesNewestMs !== 'number') return { current: false, reason: 'dist/ has no valid build stamp' };
  if (newestMtime(join(root, 'src')) > stamp.sourcesNewestMs) return { current: false, reason: 'src/ changed since dist/ was built' };
  return { current: true };
}
