import type { Options } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The server part as every package builds it; `shims` gives the CJS build `import.meta.url`, by
// which it finds `dist/ui/` (the browser app, built by scripts/build-ui.mjs after this).
export default { ...(packageBuild({ index: 'src/index.ts' }) as Options), shims: true };
