// The in-process Integris simulator wired to a client, with waits recorded instead of slept.
import { IntegrisClient, type IntegrisClientOptions } from '../../src/sync/integris/client.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { type SimLocalAuthority } from '../../src/sync/integris/sim/types.js';
import { createSimulator, type Simulator } from '../../src/sync/integris/sim/simulator.js';
import type { Db } from 'mongodb';
import { upsertSchool } from '../../src/store/schools.js';

export const SIM_BASE = 'https://integris.test/api/';

export function simFetch(sim: Simulator): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const { signal, ...rest } = init ?? {};
    // honour the abort signal as a real fetch would, so client timeouts work in process
    return new Promise<Response>((ok, fail) => {
      signal?.addEventListener('abort', () => fail(signal.reason), { once: true });
      Promise.resolve(
        sim.app.fetch(new Request(`http://sim${url.pathname.replace('/api', '')}${url.search}`, rest)),
      ).then(ok, fail);
    });
  };
}

export function simulatedIntegris(
  options: { la?: SimLocalAuthority; schools?: number; seed?: number; client?: Partial<IntegrisClientOptions> } = {},
) {
  const la = options.la ?? generateLocalAuthority({ seed: options.seed ?? 7, schools: options.schools ?? 4 });
  const sim = createSimulator({ la });
  const waits: number[] = [];
  const client = new IntegrisClient({
    baseUrl: SIM_BASE,
    clientId: 'demo',
    clientSecret: 'demo',
    fetch: simFetch(sim),
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    ...options.client,
  });
  return { la, sim, client, waits };
}

/** Makes the LA's schools known to the store, each accepting the reports it shares. */
export async function registerSchools(db: Db, la: SimLocalAuthority): Promise<void> {
  for (const s of la.schools)
    await upsertSchool(db, { dfeNumber: s.dfeNumber, name: s.name, laCode: s.laCode, acceptedReports: s.permissions });
}
