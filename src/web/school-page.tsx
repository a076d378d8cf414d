// The console's school page: held changes person by person, people to match, leavers to restore, the exclusion
// list and the accounts by "latest move or create", each decision a form running the chat action of that name. Pure.
import type { FC } from 'hono/jsx';
import type { SchoolStatus } from '../sync/status.js';
import type { SchoolAccountRow } from '../sync/people.js';
import type { View } from '../bot/view-model.js';
import { heldDecidedText } from '../bot/view-model.js';
import type { ChatAction } from '../bot/chat-actions.js';
import { Layout, type Who } from './pages.js';

/** A form that runs one chat action on the school, with what it needs and its CSRF token. */
export const ActionButton: FC<{
  dfeNumber: string;
  action: ChatAction;
  csrf: string;
  fields: Record<string, string | undefined>;
  label: string;
  primary?: boolean;
}> = ({ dfeNumber, action, csrf, fields, label, primary }) => (
  <form method="post" action={`/schools/${dfeNumber}/actions/${action}`} class="inline">
    <input type="hidden" name="csrf" value={csrf} />
    {Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
    <button type="submit" class={primary ? 'primary' : ''}>
      {label}
    </button>
  </form>
);

/** What an action did, in a sentence, with an Undo where there is one. */
export const Done: FC<{ view: View; csrf: string }> = ({ view, csrf }) => {
  if (view.kind === 'held_decided')
    return (
      <div class="notice" role="status">
        <p>{heldDecidedText(view, (s) => s)}</p>
        {view.decision === 'approved' && view.only && view.decided.length === 1 ? (
          <ActionButton
            dfeNumber={view.dfeNumber}
            action="undo"
            csrf={csrf}
            fields={{ r: view.runId, u: view.decided[0], k: 'approve' }}
            label="Undo"
          />
        ) : null}
      </div>
    );
  if (view.kind === 'decided')
    return (
      <div class="notice" role="status">
        <p>
          MIS person {view.personId} {view.decision}
          {view.username ? ` (${view.username})` : ''} by {view.by}.
        </p>
        <ActionButton
          dfeNumber={view.dfeNumber}
          action="undo"
          csrf={csrf}
          fields={{
            p: view.personId,
            k: view.decision === 'matched' ? 'match' : view.decision === 'created' ? 'create' : 'exclude',
          }}
          label="Undo"
        />
      </div>
    );
  if (view.kind === 'undone')
    return (
      <p class="notice" role="status">
        {view.text}
      </p>
    );
  if (view.kind === 'notice')
    return (
      <p class="notice" role="status">
        {view.title}: {view.detail}
      </p>
    );
  const words: Partial<Record<View['kind'], string>> = {
    settings: "The school's settings are saved.",
    exclusions: 'The exclusion list is updated.',
    restored: 'The account is restored.',
    restored_many: 'The accounts are restored.',
    accounts: 'Done: the list below is as it stands now.',
  };
  return (
    <p class="notice" role="status">
      {words[view.kind] ?? 'Done.'}
    </p>
  );
};

export const SchoolPage: FC<{
  who: Who;
  status: SchoolStatus;
  role: string;
  held: Extract<View, { kind: 'held' }>[];
  matches: Extract<View, { kind: 'matches' }>;
  accounts: SchoolAccountRow[];
  unallocated: Extract<View, { kind: 'accounts' }>['accounts'];
  nonMis: Extract<View, { kind: 'accounts' }>['accounts'];
  exclusions: Extract<View, { kind: 'exclusions' }>['items'];
  since?: string;
  done?: View;
  error?: string;
}> = ({ who, status, role, held, matches, accounts, unallocated, nonMis, exclusions, since, done, error }) => (
  <Layout title={`${status.name} (${status.dfeNumber})`} who={who}>
    {error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : null}
    {done ? <Done view={done} csrf={who.csrf} /> : null}
    <p>
      You are this school's {role}. Last run:{' '}
      {status.lastRun ? `${status.lastRun.status} on ${status.lastRun.startedAt.slice(0, 10)}` : 'none yet'}; last
      processed export:{' '}
      {status.lastExport ? `#${status.lastExport.seq} of ${status.lastExport.exportedAt.slice(0, 10)}` : 'none'}.
    </p>
    <p>
      {status.lastRun ? (
        <>
          <a href={`/runs/${status.lastRun.runId}`}>The last run, record by record</a> ·{' '}
        </>
      ) : null}
      <a href={`/schools/${status.dfeNumber}/audit`}>The school's audit</a> ·{' '}
      <a href={`/schools/${status.dfeNumber}/who`}>Who is ...</a> ·{' '}
      <a href={`/schools/${status.dfeNumber}/forms/settings`}>Settings and reports</a> ·{' '}
      <a href={`/schools/${status.dfeNumber}/forms/exclusion`}>Never give an account</a> ·{' '}
      <a href={`/schools/${status.dfeNumber}/forms/request`}>Request an account</a>
    </p>
    <h2>Held changes</h2>
    {held.every((h) => h.changes.length === 0) ? <p>Nothing is held.</p> : null}
    {held
      .filter((h) => h.changes.length > 0)
      .map((h) => (
        <section>
          <p>
            Run {h.runId}: {h.guards.join(' ')}; {h.open} still held.{' '}
            <ActionButton
              dfeNumber={status.dfeNumber}
              action="approve"
              csrf={who.csrf}
              fields={{ r: h.runId }}
              label="Approve all"
            />{' '}
            <ActionButton
              dfeNumber={status.dfeNumber}
              action="reject"
              csrf={who.csrf}
              fields={{ r: h.runId }}
              label="Reject all"
            />
          </p>
          <table>
            <caption>Held by run {h.runId}</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Change</th>
                <th scope="col">State</th>
                <th scope="col">Decide</th>
              </tr>
            </thead>
            <tbody>
              {h.changes.map((c) => (
                <tr>
                  <th scope="row">
                    {c.name} ({c.username}){c.group ? `, ${c.group}` : ''}
                  </th>
                  <td>
                    {c.change === 'unallocation'
                      ? 'loses access'
                      : c.fields.map((f) => `${f.field}: ${f.from} -> ${f.to}`).join('; ')}
                  </td>
                  <td>
                    {c.state}
                    {c.by ? ` by ${c.by}` : ''}
                  </td>
                  <td>
                    {c.state === 'held' ? (
                      <>
                        <ActionButton
                          dfeNumber={status.dfeNumber}
                          action="approveOne"
                          csrf={who.csrf}
                          fields={{ r: h.runId, u: c.username }}
                          label={`Approve ${c.username}`}
                          primary
                        />{' '}
                        <ActionButton
                          dfeNumber={status.dfeNumber}
                          action="rejectOne"
                          csrf={who.csrf}
                          fields={{ r: h.runId, u: c.username }}
                          label={`Reject ${c.username}`}
                        />
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    <h2>People to match</h2>
    {matches.matches.length === 0 ? <p>Nobody is waiting to be matched.</p> : null}
    {matches.matches.map((m) => (
      <section>
        <h3>
          {m.name} (MIS person {m.personId}, {m.role}
          {m.maskedDob ? `, born ${m.maskedDob}` : ''})
        </h3>
        <ul>
          {m.candidates.map((cand) => (
            <li>
              {cand.name} ({cand.username}), {cand.reasons.join('; ')}{' '}
              <ActionButton
                dfeNumber={status.dfeNumber}
                action="match"
                csrf={who.csrf}
                fields={{ p: m.personId, u: cand.username }}
                label={`Same person as ${cand.username}`}
              />
            </li>
          ))}
        </ul>
        <ActionButton
          dfeNumber={status.dfeNumber}
          action="create"
          csrf={who.csrf}
          fields={{ p: m.personId }}
          label="New account"
        />{' '}
        <ActionButton
          dfeNumber={status.dfeNumber}
          action="exclude"
          csrf={who.csrf}
          fields={{ p: m.personId }}
          label="Never create"
        />
      </section>
    ))}
    <h2>Unallocated</h2>
    {unallocated.length === 0 ? <p>No account of this school is waiting in the unallocated pool.</p> : null}
    {unallocated.length ? (
      <table>
        <caption>Leavers whose access was removed: restorable</caption>
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Left</th>
            <th scope="col">Restore</th>
          </tr>
        </thead>
        <tbody>
          {unallocated.slice(0, 100).map((u) => (
            <tr>
              <th scope="row">
                {u.name} ({u.username}){u.group ? `, ${u.group}` : ''}
              </th>
              <td>{u.until ?? ''}</td>
              <td>
                <ActionButton
                  dfeNumber={status.dfeNumber}
                  action="restore"
                  csrf={who.csrf}
                  fields={{ u: u.username }}
                  label={`Restore ${u.username}`}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    ) : null}
    <h2>Accounts not in the MIS</h2>
    {nonMis.length === 0 ? <p>Every active account here is one the MIS exports, or kept on purpose.</p> : null}
    {nonMis.length ? (
      <table>
        <caption>Accounts kept by hand that the MIS does not export: keep each with a reason, or retire it</caption>
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Here since</th>
            <th scope="col">Decide</th>
          </tr>
        </thead>
        <tbody>
          {nonMis.slice(0, 100).map((u) => (
            <tr>
              <th scope="row">
                {u.name} ({u.username}){u.group ? `, ${u.group}` : ''}
              </th>
              <td>{u.since ?? ''}</td>
              <td>
                <a href={`/schools/${status.dfeNumber}/forms/keep?u=${encodeURIComponent(u.username)}`}>
                  Keep {u.username}
                </a>{' '}
                <ActionButton
                  dfeNumber={status.dfeNumber}
                  action="retire"
                  csrf={who.csrf}
                  fields={{ u: u.username }}
                  label={`Retire ${u.username}`}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    ) : null}
    <h2>Never given an account</h2>
    {exclusions.length === 0 ? <p>The exclusion list is empty.</p> : null}
    <ul>
      {exclusions.map((x) => (
        <li>
          {x.name}
          {x.maskedDob ? `, born ${x.maskedDob}` : ''} (added by {x.addedBy}){' '}
          <ActionButton
            dfeNumber={status.dfeNumber}
            action="removeExclusion"
            csrf={who.csrf}
            fields={{ x: x.key }}
            label={`Remove ${x.name}`}
          />
        </li>
      ))}
    </ul>
    <h2>Accounts</h2>
    <form method="get" action={`/schools/${status.dfeNumber}`}>
      <label for="since">Moved in or made since</label>
      <input id="since" name="since" type="date" value={since ?? ''} />
      <button type="submit">Show</button>
    </form>
    <p>
      <a href={`/schools/${status.dfeNumber}/new-accounts.csv`}>New accounts of the last run, for login slips (CSV)</a>
    </p>
    <table>
      <caption>
        {accounts.length} account(s){since ? ` moved in or made since ${since}` : ''}, latest move or create first
      </caption>
      <thead>
        <tr>
          <th scope="col">Username</th>
          <th scope="col">Name</th>
          <th scope="col">Year or role</th>
          <th scope="col">Source</th>
          <th scope="col">Latest move or create</th>
        </tr>
      </thead>
      <tbody>
        {accounts.slice(0, 200).map((a) => (
          <tr>
            <th scope="row">{a.username}</th>
            <td>{a.name}</td>
            <td>{a.group ?? a.role}</td>
            <td>{a.source === 'mis' ? 'MIS' : 'kept by hand'}</td>
            <td>{a.latestMoveOrCreate.slice(0, 16).replace('T', ' ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
    {accounts.length > 200 ? <p>The first 200 are shown; narrow the list by date.</p> : null}
  </Layout>
);
