// nock is imported before any client is built so it intercepts Node's fetch; only loopback traffic may pass.
import nock from 'nock';
import { afterEach } from 'vitest';

nock.disableNetConnect();
nock.enableNetConnect((host) => host.startsWith('127.0.0.1') || host.startsWith('localhost'));

afterEach(() => {
  nock.cleanAll();
});
