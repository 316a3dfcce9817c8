// The embedded database opened early (src/db/embedded.ts): `mikey mcp` and `mikey chat` start it at
// their first line, and the app's openDatabase takes that opening over instead of making a second
// one. The lock is held from the start, a holder elsewhere is reported the same way, and an opening
// nobody claims is closed with its lock released.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase, DatabaseLockedError } from '../../src/db/client.js';
import { abandonEarlyOpen, claimEarlyOpen, embeddedDataDir, startEarlyOpen } from '../../src/db/embedded.js';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mikey-early-'));
});

afterEach(async () => {
  await abandonEarlyOpen();
  await rm(dataDir, { recursive: true, force: true });
});

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

describe('opening the embedded database early', () => {
  it('openDatabase takes over the early opening: one PGlite, the lock held from the start, released on close', async () => {
    startEarlyOpen(dataDir);
    startEarlyOpen(dataDir); // a second start for the same directory is ignored, not a second opening
    const opening = claimEarlyOpen(dataDir);
    expect(opening, 'the opening is there to claim').toBeDefined();
    const early = await opening!;
    expect(await readFile(join(dataDir, 'mikey.lock'), 'utf8'), 'the lock names this process').toBe(String(process.pid));
    // Claimed once: nothing is left for anyone else.
    expect(claimEarlyOpen(dataDir)).toBeUndefined();

    // A second opening in this process, early or not, is refused while the first holds the lock.
    await expect(openDatabase({ dataDir })).rejects.toBeInstanceOf(DatabaseLockedError);
    startEarlyOpen(dataDir);
    await expect(openDatabase({ dataDir })).rejects.toBeInstanceOf(DatabaseLockedError);
    await early.instance.close();
    await early.release();
  });

  it('the app uses the instance opened early, and closing the app releases the lock', async () => {
    startEarlyOpen(dataDir);
    const database = await openDatabase({ dataDir });
    expect(claimEarlyOpen(dataDir), 'openDatabase claimed the opening').toBeUndefined();
    const rows = await database.pglite!.query<{ n: number }>('select 1 + 1 as n');
    expect(rows.rows[0]!.n).toBe(2);
    expect(await exists(join(dataDir, 'mikey.lock'))).toBe(true);
    await database.close();
    expect(await exists(join(dataDir, 'mikey.lock')), 'the lock is released with the database').toBe(false);
    expect(database.pglite!.closed).toBe(true);
  });

  it('a directory held by another live process fails the early opening with DatabaseLockedError, for the app to report', async () => {
    // pid 1 is alive and is not this process.
    await writeFile(join(dataDir, 'mikey.lock'), '1');
    startEarlyOpen(dataDir);
    await expect(openDatabase({ dataDir })).rejects.toBeInstanceOf(DatabaseLockedError);
    expect(await readFile(join(dataDir, 'mikey.lock'), 'utf8'), 'the holder keeps its lock').toBe('1');
  });

  it('an opening nobody claims is closed and its lock released', async () => {
    startEarlyOpen(dataDir);
    await abandonEarlyOpen();
    expect(await exists(join(dataDir, 'mikey.lock')), 'no lock is left behind').toBe(false);
    expect(claimEarlyOpen(dataDir)).toBeUndefined();
    // The directory opens normally afterwards.
    const database = await openDatabase({ dataDir });
    await database.close();
  });

  it('finds the data directory as the configuration does: MIKEY_DATA_DIR, else ~/.mikey; none with DATABASE_URL', () => {
    expect(embeddedDataDir({ MIKEY_DATA_DIR: ' /tmp/x ' }, '/home/a')).toBe('/tmp/x');
    expect(embeddedDataDir({ HOME: '/home/b' }, '/home/a')).toBe('/home/b/.mikey');
    expect(embeddedDataDir({ MIKEY_DATA_DIR: '  ' }, '/home/a')).toBe('/home/a/.mikey');
    expect(embeddedDataDir({ DATABASE_URL: 'postgres://u@h/db', MIKEY_DATA_DIR: '/tmp/x' }, '/home/a')).toBeUndefined();
    expect(embeddedDataDir({ DATABASE_URL: ' ' }, '/home/a')).toBe('/home/a/.mikey');
    for (const env of [{ MIKEY_DATA_DIR: ' /tmp/x ' }, { HOME: '/home/b' }, { HOME: '/home/b', MIKEY_DATA_DIR: '' }]) {
      expect(embeddedDataDir(env, homedir()), `the same directory as loadConfig for ${JSON.stringify(env)}`).toBe(loadConfig(env).dataDir);
    }
  });
});
