// The console's record pages: one run's outcomes by kind, a page at a time, and a school's audit, newest first. Pure.
import type { FC } from 'hono/jsx';
import type { RecordOutcome } from '../domain/outcomes.js';
import type { FoundView } from '../bot/view-model.js';
import { Layout, type Who } from './pages.js';

export const PAGE_SIZE = 50;

/** An audit entry as the page shows it (the store's shape, without depending on the store). */
export interface AuditRow {
  at: Date;
  actor: string;
  action: string;
  username?: string;
  detail?: string;
}

export const RunPage: FC<{
  who: Who;
  run: { id: string; dfeNumber: string; status: string; trigger: string; startedAt: string };
  counts: [string, number][];
  outcomes: RecordOutcome[];
  kind?: string;
  page: number;
  total: number;
}> = ({ who, run, counts, outcomes, kind, page, total }) => {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (p: number) => `/runs/${run.id}?${kind ? `kind=${kind}&` : ''}page=${p}`;
  return (
    <Layout title={`Run of ${run.startedAt.slice(0, 10)} at ${run.dfeNumber}`} who={who}>
      <p>
        {run.status}, {run.trigger}, started {run.startedAt.replace('T', ' ').slice(0, 16)}.{' '}
        <a href={`/schools/${run.dfeNumber}`}>Back to the school</a>
      </p>
      <table>
        <caption>Outcomes by kind</caption>
        <thead>
          <tr>
            <th scope="col">Outcome</th>
            <th scope="col" class="num">
              Records
            </th>
          </tr>
        </thead>
        <tbody>
          {counts.map(([k, n]) => (
            <tr>
              <th scope="row">
                <a href={`/runs/${run.id}?kind=${k}`}>{k}</a>
              </th>
              <td class="num">{String(n)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>
          {kind ? `${kind} outcomes` : 'Every outcome'}, page {String(page + 1)} of {String(pages)}
        </caption>
        <thead>
          <tr>
            <th scope="col">MIS person</th>
            <th scope="col">Outcome</th>
            <th scope="col">Account</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {outcomes.map((o) => (
            <tr>
              <th scope="row">{o.personId}</th>
              <td>{o.outcome}</td>
              <td>{o.username ?? ''}</td>
              <td>{o.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav aria-label="Pages">
        {page > 0 ? <a href={link(page - 1)}>Previous page</a> : null}{' '}
        {page + 1 < pages ? <a href={link(page + 1)}>Next page</a> : null}
      </nav>
    </Layout>
  );
};

export const AuditPage: FC<{
  who: Who;
  dfeNumber: string;
  entries: AuditRow[];
  user?: string;
  next?: string;
}> = ({ who, dfeNumber, entries, user, next }) => (
  <Layout title={`Audit of ${dfeNumber}`} who={who}>
    <form method="get" action={`/schools/${dfeNumber}/audit`}>
      <label for="user">Username</label>
      <input id="user" name="user" type="search" value={user ?? ''} />
      <button type="submit">Search</button>
    </form>
    <table>
      <caption>Who changed what, and when, newest first</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What</th>
          <th scope="col">Account</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr>
            <th scope="row">{e.at.toISOString().replace('T', ' ').slice(0, 19)}</th>
            <td>{e.actor}</td>
            <td>{e.action}</td>
            <td>{e.username ?? ''}</td>
            <td>{e.detail ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
    {next ? (
      <p>
        <a
          href={`/schools/${dfeNumber}/audit?before=${encodeURIComponent(next)}${user ? `&user=${encodeURIComponent(user)}` : ''}`}
        >
          Older entries
        </a>
      </p>
    ) : null}
    <p>
      <a href={`/schools/${dfeNumber}`}>Back to the school</a>
    </p>
  </Layout>
);

/** "Who is ...": a person found at the school, with their account and their history there, newest first. */
export const WhoPage: FC<{ who: Who; dfeNumber: string; query: string; found: FoundView[] }> = ({
  who,
  dfeNumber,
  query,
  found,
}) => (
  <Layout title={`Who is "${query}" at ${dfeNumber}`} who={who}>
    <form method="get" action={`/schools/${dfeNumber}/who`}>
      <label for="q">Name, username, UPN or MIS person id</label>
      <input id="q" name="q" type="search" value={query} required />
      <button type="submit">Find</button>
    </form>
    {found.length === 0 ? <p>Nobody at this school fits that.</p> : null}
    {found.map((f) => (
      <section>
        <h2>
          {f.name}
          {f.maskedDob ? `, born ${f.maskedDob}` : ''}
        </h2>
        {f.account ? (
          <p>
            Account {f.account.username}, {f.account.status}; latest move or create{' '}
            {f.account.latestMoveOrCreateAt.slice(0, 16).replace('T', ' ')}; at{' '}
            {f.account.associations
              .map((x) => `${x.dfeNumber} (${x.role}, ${x.status}${x.group ? `, ${x.group}` : ''})`)
              .join('; ')}
            .
          </p>
        ) : f.mis ? (
          <p>
            No account: MIS person {f.mis.personId} ({f.mis.role}).
          </p>
        ) : null}
        <ul>
          {f.history.map((h) => (
            <li>
              {h.at.slice(0, 16).replace('T', ' ')}: {h.what}
              {h.reason ? ` (${h.reason})` : ''}
              {h.by ? `, by ${h.by}` : ''}
            </li>
          ))}
        </ul>
      </section>
    ))}
    <p>
      <a href={`/schools/${dfeNumber}`}>Back to the school</a>
    </p>
  </Layout>
);
