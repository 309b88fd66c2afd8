/**
 * One process per PGlite data directory. PGlite cannot share a data directory between
 * processes, so every CLI command that opens one first takes `<dataDir>.lock` (created with
 * `O_EXCL`), holding the owner's pid, command and, for `tasker serve`, its API URL. A second
 * command finds the lock and fails with a message naming that URL, instead of opening the
 * directory twice. A lock whose process is gone is stale and taken over.
 */
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, EXIT } from './cli-error';

/** What a lock file holds. */
export interface LockInfo {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: string;
  /** The API of a running `tasker serve`, once it listens. */
  readonly apiUrl?: string;
}

/** A held lock. */
export interface DataDirLock {
  readonly path: string;
  /** Records the API URL, for the message other commands print. */
  announce(apiUrl: string): Promise<void>;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/** Takes the lock of `dataDir` for `command`, or throws a `CliError` naming its holder. */
export async function lockDataDir(dataDir: string, command: string): Promise<DataDirLock> {
  const path = `${resolve(dataDir)}.lock`;
  const info: LockInfo = { pid: process.pid, command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify(info));
      await handle.close();
      let released = false;
      return {
        path,
        announce: (apiUrl) => writeFile(path, JSON.stringify({ ...info, apiUrl })),
        release: async () => {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(path);
    if (holder !== undefined && holder.pid !== process.pid && alive(holder.pid)) {
      const api =
        holder.apiUrl === undefined
          ? 'stop it first, or wait for it to finish'
          : `use --api ${holder.apiUrl} to talk to it, or stop it first`;
      throw new CliError(
        `The PGlite data directory ${resolve(dataDir)} is in use by another process (pid ${holder.pid}, "tasker ${holder.command}"): ${api}. A PGlite data directory can be opened by only one process.`,
        EXIT.failed,
      );
    }
    // Stale (its process is gone) or unreadable half-written: take it over.
    await rm(path, { force: true });
  }
  throw new CliError(`Could not take the lock ${path}`, EXIT.failed);
}
