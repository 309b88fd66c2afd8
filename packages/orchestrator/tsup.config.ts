import { packageBuild } from '../../tsup.base';

export default packageBuild(
  {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    api: 'src/api/index.ts',
  },
  // The `tasker` executable (bin/tasker.js imports it): ESM only, no declarations.
  { cli: 'src/cli/main.ts' },
);
