// The store's contract: what every store module promises, as suites any MongoDB-wire server must pass. They are run
// on the embedded FerretDB here and on MongoDB when MONGODB_URI is set (contract.test.ts); a new backend runs them too.
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { Account } from '../../src/domain/model.js';
import { accountsForSchool, getAccount, updateAccounts } from '../../src/store/accounts.js';
import { accountsChangedByRun, insertAccounts, insertNewAccounts } from '../../src/store/account-inserts.js';
import { auditedAccountsOfRun } from '../../src/store/audit.js';
import { firstSighting, forgetSighting } from '../../src/store/events.js';
import { getLease, letGo, renewLease, takeLease } from '../../src/store/leases.js';
import { failRunningRun, finishRun, getRun, recordPlan, startRun } from '../../src/store/runs.js';

const TODAY = '2026-11-27';

function account(username: string, over: Partial<Account> = {}): Account {
  return {
    username,
    kind: 'pupil',
    legalForename: 'Rhys',
    legalSurname: 'Contract',
    dateOfBirth: '2015-03-04',
    associations: [
      {
        dfeNumber: '2097000',
        laCode: '209',
        role: 'pupil',
        status: 'active',
        source: 'mis',
        misPersonId: `M-${username}`,
        since: '2021-09-01',
      },
    ],
    status: 'active',
    createdAt: TODAY,
    updatedAt: TODAY,
    latestMoveOrCreateAt: TODAY,
    version: 0,
    ...over,
  };
}

export function accountsContract(db: () => Db): void {
  describe('accounts', () => {
    it('reads back what it stores, by username and by school, whatever characters an MIS id holds', async () => {
      await insertAccounts(db(), [account('rhys.contract')]); // its MIS id, M-rhys.contract, has a dot
      expect(await getAccount(db(), 'rhys.contract')).toMatchObject({
        username: 'rhys.contract',
        legalSurname: 'Contract',
        status: 'active',
      });
      expect((await accountsForSchool(db(), '2097000')).map((a) => a.username)).toContain('rhys.contract');
      const odd = account('odd.ids', {
        associations: [{ ...account('x').associations[0]!, misPersonId: '$set.a%2E' }],
      });
      await insertAccounts(db(), [odd]);
      const read = (await getAccount(db(), 'odd.ids'))!;
      expect(read.associations[0]!.misPersonId).toBe('$set.a%2E');
      const moved = structuredClone(read);
      moved.associations[0]!.yearGroup = '7';
      await updateAccounts(db(), [{ before: read, after: moved }], { stamp: { actor: 'test', at: new Date() } });
      expect((await getAccount(db(), 'odd.ids'))!.associations).toEqual([
        expect.objectContaining({ misPersonId: '$set.a%2E', yearGroup: '7' }),
      ]);
    });

    it('writes only what changed: two schools changing one account never overwrite each other', async () => {
      const both = account('two.schools', {
        associations: [
          ...account('x').associations,
          {
            dfeNumber: '2097001',
            laCode: '209',
            role: 'staff',
            status: 'active',
            source: 'mis',
            misPersonId: 'S1',
            since: '2020-01-01',
          },
        ],
      });
      await insertAccounts(db(), [both]);
      const read = (await getAccount(db(), 'two.schools'))!;
      const a = structuredClone(read);
      a.associations[0]!.registrationGroup = '6A';
      const b = structuredClone(read);
      b.associations[1]!.roles = ['Teacher'];
      await updateAccounts(db(), [{ before: read, after: a }], { stamp: { actor: 'run-a', at: new Date() } });
      await updateAccounts(db(), [{ before: read, after: b }], { stamp: { actor: 'run-b', at: new Date() } });
      const after = (await getAccount(db(), 'two.schools'))!;
      expect(after.associations.find((x) => x.dfeNumber === '2097000')?.registrationGroup).toBe('6A');
      expect(after.associations.find((x) => x.dfeNumber === '2097001')?.roles).toEqual(['Teacher']);
      expect(after.version).toBe(2);
    });

    it('gives each new account a free username, however many namesakes, and stamps its run on it', async () => {
      const items = Array.from({ length: 60 }, (_, i) => ({
        key: `k${i}`,
        base: 'sam.same',
        account: { ...account('x'), associations: [] },
      }));
      const { assigned, failed } = await insertNewAccounts(db(), items, {
        stamp: { actor: 'sync', runId: 'run-names', at: new Date() },
      });
      expect(failed.size).toBe(0);
      expect(new Set(assigned.values()).size).toBe(60);
      expect((await accountsChangedByRun(db(), 'run-names')).length).toBe(60);
    });
  });
}

export function leasesContract(db: () => Db): void {
  describe('leases', () => {
    it('is held by one owner at a time, renewed by it, and free once released or expired', async () => {
      const a = await takeLease(db(), 'run:c1', 'a', 60_000);
      expect(a).toBeDefined();
      expect(await takeLease(db(), 'run:c1', 'b', 60_000)).toBeUndefined();
      expect(await renewLease(db(), 'run:c1', 'a', 60_000)).toBe(true);
      expect(await renewLease(db(), 'run:c1', 'b', 60_000)).toBe(false);
      await letGo(db(), a!, 'clean');
      expect(await takeLease(db(), 'run:c1', 'b', 1, new Date(Date.now() - 10_000))).toBeDefined(); // already expired
      expect(await takeLease(db(), 'run:c1', 'c', 60_000)).toBeDefined();
      expect((await getLease(db(), 'run:c1'))?.owner).toBe('c');
    });

    it('is taken over at once from a holder whose process on this host has died', async () => {
      expect(await takeLease(db(), 'run:c2', 'dead', 60_000)).toBeDefined();
      await db()
        .collection('leases')
        .updateOne({ _id: 'run:c2' } as never, { $set: { pid: 2 ** 22 + 12345 } }); // no such process
      expect(await takeLease(db(), 'run:c2', 'alive', 60_000)).toBeDefined();
    });
  });
}

export function runsContract(db: () => Db): void {
  describe('runs', () => {
    it('keeps a night to one run, unless that run failed: its retry takes the night over', async () => {
      const first = (await startRun(db(), { dfeNumber: '2097000', trigger: 'nightly', runKey: '2097000:night-c' }))!;
      expect(
        await startRun(db(), { dfeNumber: '2097000', trigger: 'nightly', runKey: '2097000:night-c' }),
      ).toBeUndefined();
      expect(await failRunningRun(db(), first._id, { error: { code: 'run_interrupted', message: 'x' } })).toBe(true);
      expect(await failRunningRun(db(), first._id, { error: { code: 'run_interrupted', message: 'x' } })).toBe(false);
      const retry = (await startRun(db(), { dfeNumber: '2097000', trigger: 'nightly', runKey: '2097000:night-c' }))!;
      expect(retry._id).not.toBe(first._id);
      expect(await getRun(db(), first._id)).toMatchObject({ status: 'failed', retryOf: '2097000:night-c' });
      await finishRun(db(), retry._id, { status: 'succeeded' });
      expect(
        await startRun(db(), { dfeNumber: '2097000', trigger: 'nightly', runKey: '2097000:night-c' }),
      ).toBeUndefined();
    });

    it('records a plan before it is applied, readable if the run never finishes', async () => {
      const run = (await startRun(db(), { dfeNumber: '2097000', trigger: 'cli' }))!;
      await recordPlan(db(), run._id, {
        outcomes: [{ report: 'students', personId: 'P1', outcome: 'created' }],
        held: [],
        counts: { created: 1 },
      });
      expect(await getRun(db(), run._id)).toMatchObject({
        status: 'running',
        counts: { created: 1 },
        outcomes: [{ personId: 'P1' }],
      });
      expect(await auditedAccountsOfRun(db(), run._id)).toEqual(new Set());
    });
  });
}

export function eventsContract(db: () => Db): void {
  describe('event ids', () => {
    it('takes an id once, and again once forgotten', async () => {
      expect(await firstSighting(db(), 'evt:c1', 60_000)).toBe(true);
      expect(await firstSighting(db(), 'evt:c1', 60_000)).toBe(false);
      await forgetSighting(db(), 'evt:c1');
      expect(await firstSighting(db(), 'evt:c1', 60_000)).toBe(true);
    });
  });
}
