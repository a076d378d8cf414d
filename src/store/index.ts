export { openStore, prepareStore, storeFrom, redactUri, type Store, type StoreOptions } from './connect.js';
export { ensureIndexes, indexSpecs, collectionNames, type CollectionName } from './indexes.js';
export { startEmbeddedFerretdb, answersHello, freePort, type EmbeddedFerretdb } from './embedded.js';
