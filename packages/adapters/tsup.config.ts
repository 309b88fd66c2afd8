import { packageBuild } from '../../tsup.base';

// One entry per subpath export, so that each adapter loads only its own optional peer.
export default packageBuild({
  index: 'src/index.ts',
  otel: 'src/otel/index.ts',
  'prom-client': 'src/prom-client/index.ts',
  logs: 'src/logs/index.ts',
  native: 'src/native/index.ts',
});
