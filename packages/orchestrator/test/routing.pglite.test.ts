import { createPgliteStore } from '../src/index';
import { routingSuite } from './support/routing-suite';

routingSuite('PGlite', () => createPgliteStore());
