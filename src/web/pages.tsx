// The console's pages, server-rendered with Hono's JSX: readable without JavaScript, one h1 a page, tables with
// captions and header cells, every form with its CSRF token. Pure: each page is a function of what it shows.
import type { Child, FC } from 'hono/jsx';
import type { SchoolStatus } from '../sync/status.js';

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}
header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid #ccc}
a{color:#0b5394}a:focus,button:focus,input:focus,select:focus{outline:3px solid #ffbf47;outline-offset:1px}
table{border-collapse:collapse;width:100%;margin:1rem 0}caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right}.bad{color:#a4001d;font-weight:600}.ok{color:#0a6b2d}
button{font:inherit;padding:.25rem .75rem;border:1px solid #555;border-radius:3px;background:#f7f7f7;cursor:pointer}
button.primary{background:#0b5394;color:#fff;border-color:#0b5394}.notice{background:#eef6ff;border-left:4px solid #0b5394;padding:.5rem 1rem}
.error{background:#fdecee;border-left:4px solid #a4001d;padding:.5rem 1rem}form.inline{display:inline}
.skip{position:absolute;left:-10000px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
label{display:inline-block;margin-right:.5rem}
`;

export interface Who {
  name: string;
  csrf: string;
}

export const Layout: FC<{ title: string; who?: Who; children?: Child }> = ({ title, who, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · uso-autoupdate`}</title>
      <style>{STYLE}</style>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to the content
      </a>
      <header>
        <p>
          <a href="/">uso-autoupdate</a>
        </p>
        {who ? (
          <form method="post" action="/signout" class="inline">
            <input type="hidden" name="csrf" value={who.csrf} />
            <span>Signed in as {who.name} </span>
            <button type="submit">Sign out</button>
          </form>
        ) : null}
      </header>
      <main id="main">
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);

export const SignInPage: FC<{ slack: boolean; entra: boolean; error?: string }> = ({ slack, entra, error }) => (
  <Layout title="Sign in">
    <p>
      Sign in with the account you use for your school's Slack or Microsoft Teams: you see the schools you act for
      there.
    </p>
    {error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : null}
    {slack ? (
      <form method="post" action="/auth/slack">
        <button type="submit" class="primary">
          Sign in with Slack
        </button>
      </form>
    ) : null}
    {entra ? (
      <form method="post" action="/auth/entra">
        <p>
          <label for="tenant">Your organisation's domain or tenant id</label>
          <input id="tenant" name="tenant" type="text" autocomplete="organization" required />
        </p>
        <button type="submit" class="primary">
          Sign in with Microsoft
        </button>
      </form>
    ) : null}
  </Layout>
);

export const MessagePage: FC<{ title: string; text: string; who?: Who }> = ({ title, text, who }) => (
  <Layout title={title} who={who}>
    <p>{text}</p>
    <p>
      <a href="/">Back to your schools</a>
    </p>
  </Layout>
);

const age = (iso: string | undefined, now: Date) =>
  iso ? `${Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 86_400_000))} d` : 'never';

/** Each night's outcome at a school (or across the LA): the worst of its runs that day. */
export type NightState = 'failed' | 'succeeded' | 'skipped' | 'none';
const NIGHT_COLOUR: Record<NightState, string> = {
  failed: '#a4001d',
  succeeded: '#0a6b2d',
  skipped: '#8a8a8a',
  none: '#ffffff',
};

/** The last nights as a row of squares, oldest first, with the same said in words for a screen reader. */
export const NightsChart: FC<{ days: string[]; states: Map<string, NightState>; label: string }> = ({
  days,
  states,
  label,
}) => {
  const count = (k: NightState) => days.filter((d) => (states.get(d) ?? 'none') === k).length;
  const words = `${label}: ${count('succeeded')} night(s) succeeded, ${count('failed')} failed, ${count('skipped')} skipped, ${count('none')} without a run`;
  return (
    <svg role="img" aria-label={words} width={days.length * 7} height="12" viewBox={`0 0 ${days.length * 7} 12`}>
      <title>{words}</title>
      {days.map((d, i) => (
        <rect
          x={String(i * 7)}
          y="1"
          width="6"
          height="10"
          fill={NIGHT_COLOUR[states.get(d) ?? 'none']}
          stroke="#767676"
          stroke-width="0.5"
        />
      ))}
    </svg>
  );
};

export type BoardSort = 'school' | 'status' | 'held' | 'matches' | 'export';

export const BoardPage: FC<{
  who: Who;
  schools: (SchoolStatus & { role: string; alerts: string[] })[];
  sort: BoardSort;
  filter: string;
  now: Date;
  paused: boolean;
  days: string[];
  nights: Map<string, Map<string, NightState>>;
  laNights: Map<string, NightState>;
}> = ({ who, schools, sort, filter, now, paused, days, nights, laNights }) => {
  const failed = schools.filter((s) => s.lastRun?.status === 'failed').length;
  const held = schools.reduce((n, s) => n + s.heldChanges.reduce((m, h) => m + h.count, 0), 0);
  const matches = schools.reduce((n, s) => n + s.openMatches, 0);
  return (
    <Layout title="Your schools" who={who}>
      {paused ? <p class="error">Every school's runs are paused.</p> : null}
      <p>
        {schools.length} school(s); {failed} whose last run failed; {held} change(s) held for a head; {matches}{' '}
        person(s) to match.
      </p>
      <p>
        Your schools' last {String(days.length)} nights (worst run each night):{' '}
        <NightsChart days={days} states={laNights} label="All your schools" />
      </p>
      <form method="get" action="/">
        <label for="q">School name or DfE number</label>
        <input id="q" name="q" type="search" value={filter} />
        <label for="sort">Sort by</label>
        <select id="sort" name="sort">
          {(['school', 'status', 'held', 'matches', 'export'] as const).map((k) => (
            <option value={k} selected={k === sort}>
              {k}
            </option>
          ))}
        </select>
        <button type="submit">Show</button>
      </form>
      <table>
        <caption>Each school's last night</caption>
        <thead>
          <tr>
            <th scope="col">School</th>
            <th scope="col">Your role</th>
            <th scope="col">Last run</th>
            <th scope="col" class="num">
              Created
            </th>
            <th scope="col" class="num">
              Unallocated
            </th>
            <th scope="col" class="num">
              Held changes
            </th>
            <th scope="col" class="num">
              To match
            </th>
            <th scope="col">Export age</th>
            <th scope="col">Open alerts</th>
            <th scope="col">Last {String(days.length)} nights</th>
          </tr>
        </thead>
        <tbody>
          {schools.map((s) => (
            <tr>
              <th scope="row">
                <a href={`/schools/${s.dfeNumber}`}>{s.name}</a> ({s.dfeNumber})
              </th>
              <td>{s.role}</td>
              <td class={s.lastRun?.status === 'failed' ? 'bad' : ''}>
                {s.lastRun ? `${s.lastRun.status}, ${s.lastRun.startedAt.slice(0, 10)}` : 'no run yet'}
                {s.paused ? ' (paused)' : ''}
              </td>
              <td class="num">{String(s.lastRun?.counts?.created ?? 0)}</td>
              <td class="num">{String(s.lastRun?.counts?.unallocated ?? 0)}</td>
              <td class="num">{String(s.heldChanges.reduce((n, h) => n + h.count, 0))}</td>
              <td class="num">{String(s.openMatches)}</td>
              <td>{age(s.lastExport?.exportedAt, now)}</td>
              <td class={s.alerts.length ? 'bad' : ''}>
                {s.alerts.length ? s.alerts.join(', ').replace(/_/g, ' ') : 'none'}
              </td>
              <td>
                <NightsChart days={days} states={nights.get(s.dfeNumber) ?? new Map()} label={s.name} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
};
