// The demo's second night: what an LA's ordinary evening brings, staged on the simulated LA so a newcomer sees each
// thing the service is for. On top of the generator's night (leavers, starters, a pupil moving school, a member of
// staff's second post, twins, a future starter), one school loses more pupils than its threshold allows (held for a
// head's approval), a pupil turns up at another school under a slightly different name and no UPN (held for
// matching beside her account), and one record comes with an impossible birth date (reported, nothing lost).
import { ageOneNight } from './sync/integris/sim/generator.js';
import type { SimLocalAuthority, SimSchool } from './sync/integris/sim/types.js';
import type { RunSummary } from './sync/process.js';

export interface Staged {
  /** The school whose leavers go over its threshold. */
  overThreshold: string;
  lookAlike?: { dfeNumber: string; personId: string };
  invalid: { dfeNumber: string; personId: string };
}

const stillThere = (s: SimSchool) => s.students.filter((p) => p.enrolmentStatus === 'C' && !p.leavingDate);

/** Ages the LA one school day and stages the second night's story on it. */
export function stageSecondNight(la: SimLocalAuthority): Staged {
  ageOneNight(la);
  const schools = la.schools.filter((s) => !s.revoked);
  const [first, second] = schools;
  const over = schools.at(-1)!;
  // 15% of one school's pupils are gone from its export (and at least its threshold's minimum of 5)
  const leaving = stillThere(over).slice(0, Math.max(6, Math.ceil(over.students.length * 0.15)));
  over.students = over.students.filter((p) => !leaving.includes(p));
  over.formerStudents.push(...leaving.map((p) => ({ ...p, leavingDate: la.today })));

  let lookAlike: Staged['lookAlike'];
  if (first && second) {
    const original = stillThere(first).find((p) => p.legalForename.length >= 5 && !p.middleNames);
    if (original) {
      const personId = `S${la.night}LOOK`;
      // one letter of the forename changed, and no UPN: like her, not certainly her
      const forename = `${original.legalForename.slice(0, -1)}${original.legalForename.endsWith('e') ? 'a' : 'e'}`;
      second.students.push({
        ...original,
        personId,
        upn: undefined,
        legalForename: forename,
        preferredForename: undefined,
        admissionDate: la.today,
        registrationGroup: second.groups.find((g) => g.type === 'registration')?.name,
      });
      lookAlike = { dfeNumber: second.dfeNumber, personId };
    }
  }
  const withInvalid = second ?? first ?? over;
  const template = stillThere(withInvalid)[0]!;
  const invalidId = `S${la.night}BAD`;
  withInvalid.students.push({
    ...template,
    personId: invalidId,
    upn: undefined,
    legalForename: `${template.legalForename}x`,
    dateOfBirth: '2015-02-30',
    admissionDate: la.today,
  });
  return {
    overThreshold: over.dfeNumber,
    lookAlike,
    invalid: { dfeNumber: withInvalid.dfeNumber, personId: invalidId },
  };
}

/** What an admin would do next, each with its command (and, in chat, its button). */
export function nextSteps(runs: readonly RunSummary[], staged: Staged, uso = 'npm run uso --'): string[] {
  const run = (dfe: string) => runs.find((r) => r.dfeNumber === dfe);
  const lines = ["What an admin would do next (in Slack or Teams: the buttons on each school's summary):"];
  const held = run(staged.overThreshold);
  if (held?.counts.held_unallocation)
    lines.push(
      `- ${held.counts.held_unallocation} leavers at ${held.dfeNumber} are over its threshold and wait for the head: see them with`,
      `    ${uso} held ${held.runId}`,
      `  then apply them (or reject them) with`,
      `    ${uso} approve ${held.runId}`,
    );
  const matching = runs.flatMap((r) =>
    r.outcomes.filter((o) => o.outcome === 'held_for_matching').map((o) => ({ dfe: r.dfeNumber, o })),
  );
  const lookAlike = matching.find((m) => m.o.personId === staged.lookAlike?.personId) ?? matching[0];
  if (lookAlike) {
    const candidate = lookAlike.o.candidates?.[0];
    lines.push(
      `- ${matching.length} newcomer(s) look like an existing account and are held rather than duplicated: ${uso} matches ${lookAlike.dfe}`,
      ...(candidate
        ? [
            `  MIS person ${lookAlike.o.personId} looks like ${candidate.username} (${candidate.reasons.join('; ')}): link them with`,
            `    ${uso} match ${lookAlike.dfe} ${lookAlike.o.personId} --to ${candidate.username}`,
            `  or make a new account with --create, or never with --exclude`,
          ]
        : []),
    );
  }
  const invalid = run(staged.invalid.dfeNumber);
  if (invalid?.counts.invalid)
    lines.push(
      `- ${invalid.counts.invalid} record(s) at ${invalid.dfeNumber} could not be used (nothing else was held up): ${uso} invalid ${invalid.dfeNumber}`,
    );
  const moved = runs.flatMap((r) =>
    r.outcomes.filter((o) => o.outcome === 'auto_matched').map((o) => ({ dfe: r.dfeNumber, o })),
  );
  if (moved[0])
    lines.push(
      `- ${moved.length} account(s) were linked by themselves (a pupil moving school, a second post): ${uso} who ${moved[0].dfe} ${moved[0].o.username}`,
    );
  const future = runs.reduce((n, r) => n + (r.counts.future_starter ?? 0), 0);
  const made = runs.find((r) => r.counts.created);
  if (future || made)
    lines.push(
      `- ${future} future starter(s) get accounts on their first day; tonight's new accounts, for login slips: ${uso} new-accounts ${(made ?? runs[0]!).dfeNumber} --csv`,
    );
  lines.push(`- Everything that was done, and by whom: ${uso} audit`);
  return lines;
}
