// Invariants of the planner over generated schools and random nights.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupsByPerson, studentToPerson, type MisPerson } from '../../src/sync/integris/people.js';
import { generateLocalAuthority } from '../../src/sync/integris/sim/generator.js';
import { plan } from '../../src/sync/plan.js';
import type { Account } from '../../src/domain/model.js';
import { applyInMemory, input, school } from '../helpers/people.js';

const la = generateLocalAuthority({ seed: 11, schools: 1, today: '2026-11-27' });
const sim = la.schools[0]!;
const here = school(sim.dfeNumber);
const everyone: MisPerson[] = sim.students.slice(0, 120).map((s) => studentToPerson(s, groupsByPerson(sim.groups)));

const subsets = fc
  .array(fc.boolean(), { minLength: everyone.length, maxLength: everyone.length })
  .map((keep) => everyone.filter((_, i) => keep[i]));

describe('plan invariants', () => {
  it('is idempotent: planning what was just applied changes nothing', () => {
    fc.assert(
      fc.property(subsets, (people) => {
        const first = plan(input({ school: here, people, today: la.today }));
        const accounts = applyInMemory([], first);
        const again = plan(input({ school: here, people, accounts, today: la.today }));
        expect(again.creates).toHaveLength(0);
        expect(again.updates).toHaveLength(0);
        expect(
          again.outcomes.every(
            (o) => o.outcome === 'unchanged' || o.outcome === 'future_starter' || o.outcome === 'held_for_matching',
          ),
        ).toBe(true);
      }),
      { numRuns: 15 },
    );
  });

  it('never gives one MIS person two accounts, over any sequence of nights', () => {
    fc.assert(
      fc.property(fc.array(subsets, { minLength: 2, maxLength: 4 }), (nights) => {
        let accounts: Account[] = [];
        for (const people of [everyone, ...nights, everyone]) {
          const result = plan(input({ school: here, people, accounts, today: la.today }));
          // the plan itself never creates a person twice, nor creates someone already linked to an account here
          const created = result.creates.map((c) => c.personId);
          expect(new Set(created).size).toBe(created.length);
          const linked = new Set(accounts.flatMap((a) => a.associations.map((x) => x.misPersonId)));
          for (const id of created) expect(linked.has(id)).toBe(false);
          accounts = applyInMemory(accounts, result);
        }
        const owners = new Map<string, string[]>();
        for (const a of accounts)
          for (const x of a.associations)
            if (x.misPersonId) owners.set(x.misPersonId, [...(owners.get(x.misPersonId) ?? []), a.username]);
        for (const [, users] of owners) expect(users).toHaveLength(1);
      }),
      { numRuns: 10 },
    );
  });

  it('never unallocates from an incomplete export', () => {
    const accounts = applyInMemory([], plan(input({ school: here, people: everyone, today: la.today })));
    fc.assert(
      fc.property(subsets, (people) => {
        const result = plan(input({ school: here, people, accounts, complete: false, today: la.today }));
        expect(result.counts.unallocated).toBe(0);
        for (const u of result.updates)
          expect(u.after.associations.filter((x) => x.status === 'ended')).toHaveLength(
            u.before.associations.filter((x) => x.status === 'ended').length,
          );
      }),
      { numRuns: 20 },
    );
  });

  it('never links one account to two MIS persons of a school, over full and delta nights with duplicate MIS records', () => {
    // a duplicate MIS record: a second person id with the same details as someone already at the school
    const duplicates = everyone.slice(0, 20).map((p) => ({ ...p, personId: `${p.personId}-dup` }));
    const night = fc.record({ people: subsets, dups: fc.subarray(duplicates), delta: fc.boolean() });
    fc.assert(
      fc.property(fc.array(night, { minLength: 1, maxLength: 4 }), (nights) => {
        let accounts = applyInMemory([], plan(input({ school: here, people: everyone, today: la.today })));
        for (const n of nights) {
          const people = n.delta ? n.dups : [...n.people, ...n.dups];
          const fullReports = n.delta
            ? new Set<'students' | 'staff'>()
            : new Set<'students' | 'staff'>(['students', 'staff']);
          accounts = applyInMemory(
            accounts,
            plan(input({ school: here, people, accounts, fullReports, today: la.today })),
          );
          for (const a of accounts) {
            const linked = a.associations.filter(
              (x) => x.dfeNumber === here.dfeNumber && x.source === 'mis' && x.status === 'active',
            );
            expect(new Set(linked.map((x) => x.misPersonId)).size, a.username).toBeLessThanOrEqual(1);
          }
        }
      }),
      { numRuns: 15 },
    );
  });
});
