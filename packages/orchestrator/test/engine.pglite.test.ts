import { PGlite } from '@electric-sql/pglite';
import { createPgliteStore } from '../src/index';
import { engineSuite } from './support/engine-suite';

engineSuite('PGlite', async () => {
  // The suite reads the audit by SQL, so it makes the instance the store runs on.
  const db = await PGlite.create();
  const store = await createPgliteStore({ db });
  return {
    store,
    query: (text, params) => db.query(text, params),
    close: async () => {
      await store.close();
      await db.close();
    },
  };
});
