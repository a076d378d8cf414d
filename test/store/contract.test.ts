// The store contract suites on this run's server: the embedded FerretDB, or MongoDB when MONGODB_URI is set.
import { accountsContract, eventsContract, leasesContract, runsContract } from './contract.js';
import { useTestStore } from '../helpers/store.js';

const ctx = useTestStore();
const db = () => ctx.store.db;

accountsContract(db);
leasesContract(db);
runsContract(db);
eventsContract(db);
