import { packageBuild } from '../../tsup.base';

export default packageBuild({
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  api: 'src/api/index.ts',
  cli: 'src/cli/main.ts',
});
