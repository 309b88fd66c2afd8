import { createPgliteStore } from '../src/index';
import { engineSuite } from './support/engine-suite';

engineSuite('PGlite', () => createPgliteStore());
