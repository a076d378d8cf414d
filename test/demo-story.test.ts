// The demo's second night, run for real through the simulated Integris: what it stages happens (a school held over
// its threshold, a look-alike held beside her account, a bad record reported and nothing else held up, a move linked
// by itself), and what it tells an admin to do next names the runs, people and accounts it is about.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateLocalAuthority } from '../src/sync/integris/sim/generator.js';
import { syncSchool, type RunSummary, type SyncDeps } from '../src/sync/process.js';
import { nextSteps, stageSecondNight, type Staged } from '../src/demo-story.js';
import { getAccount } from '../src/store/accounts.js';
import { registerSchools, simulatedIntegris } from './helpers/integris.js';
import { captureLogger } from './helpers/log.js';
import { useTestStore } from './helpers/store.js';

const ctx = useTestStore();
const la = generateLocalAuthority({ seed: 3, schools: 4, sizeFactor: 0.3 });
const { client } = simulatedIntegris({ la });
let deps: SyncDeps;
let second: RunSummary[];
let staged: Staged;

const night = async () => {
  const runs: RunSummary[] = [];
  for (const s of la.schools) runs.push(await syncSchool(deps, s.dfeNumber, { trigger: 'force', today: la.today }));
  return runs;
};

beforeAll(async () => {
  deps = { db: ctx.store.db, logger: captureLogger().logger, integris: client };
  await registerSchools(ctx.store.db, la);
  await night();
  staged = stageSecondNight(la);
  second = await night();
}, 120_000);

describe('the demo story', () => {
  const runOf = (dfe: string) => second.find((r) => r.dfeNumber === dfe)!;

  it("holds one school's leavers over its threshold, and only there", () => {
    const over = runOf(staged.overThreshold);
    expect(over.counts.held_unallocation).toBeGreaterThanOrEqual(6);
    expect(over.guards).toEqual([
      expect.objectContaining({ change: 'unallocation', cause: 'threshold', role: 'pupil' }),
    ]);
    for (const r of second.filter((x) => x.dfeNumber !== staged.overThreshold))
      expect(r.counts.held_unallocation ?? 0).toBe(0);
  });

  it('holds the look-alike beside her own account, and links the pupil who moved school by herself', async () => {
    const held = runOf(staged.lookAlike!.dfeNumber).outcomes.find((o) => o.personId === staged.lookAlike!.personId)!;
    expect(held.outcome).toBe('held_for_matching');
    const candidate = await getAccount(ctx.store.db, held.candidates![0]!.username);
    expect(candidate!.associations.some((x) => x.dfeNumber === la.schools[0]!.dfeNumber && x.status === 'active')).toBe(
      true,
    );
    expect(second.flatMap((r) => r.outcomes).some((o) => o.outcome === 'auto_matched')).toBe(true);
  });

  it('reports the bad record by its field and holds nothing else up', () => {
    const run = runOf(staged.invalid.dfeNumber);
    expect(run.status).toBe('succeeded');
    expect(run.outcomes.find((o) => o.personId === staged.invalid.personId)).toMatchObject({
      outcome: 'invalid',
      reason: 'dateOfBirth: is not a real calendar date',
    });
    expect(run.counts.created).toBeGreaterThan(0);
  });

  it('tells an admin what to do next, with commands that name the run, the person and the account', () => {
    const text = nextSteps(second, staged).join('\n');
    const over = runOf(staged.overThreshold);
    expect(text).toContain(`npm run uso -- held ${over.runId}`);
    expect(text).toContain(`npm run uso -- approve ${over.runId}`);
    const held = runOf(staged.lookAlike!.dfeNumber).outcomes.find((o) => o.personId === staged.lookAlike!.personId)!;
    expect(text).toContain(
      `npm run uso -- match ${staged.lookAlike!.dfeNumber} ${staged.lookAlike!.personId} --to ${held.candidates![0]!.username}`,
    );
    expect(text).toContain(`npm run uso -- invalid ${staged.invalid.dfeNumber}`);
  });
});
