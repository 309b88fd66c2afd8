/**
 * The browser app's built files (`dist/ui/`, made by `scripts/build-ui.mjs`), served by name from
 * its manifest only: a name the build did not list is not found, so no request reads another file.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** What `dist/ui/manifest.json` holds. */
export interface UiManifest {
  /** A hash of every file, for cache validation. */
  readonly version: string;
  /** File name → content type. */
  readonly files: Readonly<Record<string, string>>;
  /** The gzipped size of every file together, bytes (the build fails above 250 KB). */
  readonly gzipBytes: number;
}

export interface DashboardAsset {
  readonly body: Uint8Array;
  readonly contentType: string;
}

export interface DashboardAssets {
  readonly version: string;
  /** One file by its name in the manifest; undefined for any other name. */
  read(name: string): Promise<DashboardAsset | undefined>;
}

/** `dist/ui/`, from `src/` and from `dist/` alike. */
export const UI_DIR = fileURLToPath(new URL('../dist/ui/', import.meta.url));

/** Reads the manifest now (a package built without its UI fails here, not at the first request). */
export function loadDashboardAssets(dir: string = UI_DIR): DashboardAssets {
  let manifest: UiManifest;
  try {
    manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as UiManifest;
  } catch (error) {
    throw new Error(
      `@tasker/dashboard: its browser assets are missing from ${dir} (build the package: pnpm --filter @tasker/dashboard build)`,
      { cause: error },
    );
  }
  const cache = new Map<string, Promise<DashboardAsset>>();
  return {
    version: manifest.version,
    read(name) {
      if (!Object.hasOwn(manifest.files, name)) return Promise.resolve(undefined);
      let asset = cache.get(name);
      if (asset === undefined) {
        const contentType = manifest.files[name] as string;
        asset = readFile(`${dir}${name}`).then((body) => ({ body, contentType }));
        asset.catch(() => cache.delete(name));
        cache.set(name, asset);
      }
      return asset;
    },
  };
}
