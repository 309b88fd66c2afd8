import { createPgliteStore } from '../src/index';
import { apiRoutesSuite } from './support/api-routes-suite';

apiRoutesSuite('PGlite', () => createPgliteStore());
