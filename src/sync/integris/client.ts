// The Integris Datashare client: OAuth client credentials (cached, refreshed once on 401), paging to the end with a
// completeness check, bounded retries with backoff and jitter (Retry-After honoured), a per-request timeout and
// a concurrency limit shared by every school. A failed or incomplete report is an error, never an empty list.
import { isUsoError, UsoError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { Limiter } from './limiter.js';
import {
  grantedSchoolSchema,
  pageSchema,
  type ExportFile,
  type GrantedSchool,
  type ReportName,
} from '../../domain/records.js';

export interface IntegrisClientOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Per HTTP request. */
  timeoutMs?: number;
  /** Retries after the first attempt, for 429, 5xx, timeouts and network errors. */
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest Retry-After waited out within a request; a longer one fails the request (the job retries later). */
  maxRetryAfterSeconds?: number;
  concurrency?: number;
  pageSize?: number;
  /** Injected for tests: waiting and jitter. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface ReportPage {
  page: number;
  totalPages: number;
  totalRecords: number;
  records: unknown[];
}

export interface FetchReportOptions {
  updatedSince?: string;
  /** Attendance only: YYYY-MM-DD bounds. */
  from?: string;
  to?: string;
}

const MAX_PAGE_SIZE = 500;

export class IntegrisClient {
  private readonly fetch: typeof fetch;
  private readonly limiter: Limiter;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private token?: { value: string; expiresAt: number };
  private tokenRequest?: Promise<string>;

  constructor(private readonly options: IntegrisClientOptions) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.limiter = new Limiter(options.concurrency ?? 4);
    this.sleep = options.sleep ?? ((ms) => new Promise((ok) => setTimeout(ok, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** The schools that have granted this provider access, with their permissions. */
  async listSchools(): Promise<GrantedSchool[]> {
    const schools: GrantedSchool[] = [];
    for await (const page of this.pages('/datashare/v1/schools', {}, 'schools')) {
      for (const raw of page.records) {
        const parsed = grantedSchoolSchema.safeParse(raw);
        if (parsed.success) schools.push(parsed.data);
        else
          this.options.logger?.warn(
            { issues: parsed.error.issues.length },
            'integris: skipped a malformed school grant',
          );
      }
    }
    return schools;
  }

  /** Streams a report's pages in order; throws `export_incomplete` if the pages do not add up. */
  fetchReport(dfeNumber: string, report: ReportName, options: FetchReportOptions = {}): AsyncGenerator<ReportPage> {
    const query: Record<string, string> = {};
    if (options.updatedSince && report !== 'groups' && report !== 'attendance')
      query.updatedSince = options.updatedSince;
    if (report === 'attendance') {
      if (options.from) query.from = options.from;
      if (options.to) query.to = options.to;
    }
    return this.pages(
      `/datashare/v1/schools/${encodeURIComponent(dfeNumber)}/${report}`,
      query,
      `${report} of ${dfeNumber}`,
    );
  }

  /** Fetches every report given, complete, into the contract's export file. */
  async exportSchool(
    dfeNumber: string,
    reports: readonly ReportName[],
    options: FetchReportOptions = {},
  ): Promise<ExportFile> {
    const file: ExportFile = {
      dfeNumber,
      exportedAt: new Date(this.now()).toISOString(),
      source: 'integris',
      reports: {},
      completeness: {},
    };
    if (options.updatedSince) file.updatedSince = options.updatedSince;
    for (const report of reports) {
      const records: unknown[] = [];
      let pages = 0;
      let totalRecords = 0;
      for await (const page of this.fetchReport(dfeNumber, report, options)) {
        for (const r of page.records) records.push(r);
        pages = page.totalPages;
        totalRecords = page.totalRecords;
      }
      file.reports[report] = records;
      file.completeness[report] = { totalRecords, pages };
    }
    return file;
  }

  private async *pages(path: string, query: Record<string, string>, what: string): AsyncGenerator<ReportPage> {
    const pageSize = Math.min(this.options.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    let received = 0;
    let expectedTotal: number | undefined;
    let expectedPages: number | undefined;
    for (let page = 1; expectedPages === undefined || page <= expectedPages; page++) {
      const body = await this.get(path, { ...query, page: String(page), pageSize: String(pageSize) });
      const parsed = pageSchema.safeParse(body);
      if (!parsed.success)
        throw new UsoError('export_incomplete', `${what}: page ${page} is not a valid page envelope`);
      const { data, meta } = parsed.data;
      if (meta.page !== page)
        throw new UsoError('export_incomplete', `${what}: asked for page ${page}, got page ${meta.page}`);
      if (expectedTotal !== undefined && (meta.totalRecords !== expectedTotal || meta.totalPages !== expectedPages)) {
        throw new UsoError('export_incomplete', `${what}: the report changed size while being paged`);
      }
      expectedTotal = meta.totalRecords;
      expectedPages = meta.totalPages;
      received += data.length;
      const isLast = page >= meta.totalPages;
      if (isLast && received !== meta.totalRecords) {
        throw new UsoError(
          'export_incomplete',
          `${what}: received ${received} records over ${meta.totalPages} pages, the source promised ${meta.totalRecords}`,
        );
      }
      if (!isLast && data.length === 0)
        throw new UsoError('export_incomplete', `${what}: page ${page} of ${meta.totalPages} is empty`);
      yield { page, totalPages: meta.totalPages, totalRecords: meta.totalRecords, records: data };
      if (meta.totalPages === 0) break;
    }
  }

  private async get(path: string, query: Record<string, string>): Promise<unknown> {
    const url = new URL(
      path.replace(/^\//, ''),
      this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`,
    );
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const maxRetries = this.options.maxRetries ?? 5;
    let refreshed = false;
    let lastProblem = '';
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      let token: string;
      try {
        token = await this.accessToken();
      } catch (err) {
        if (!isUsoError(err, 'integris_unavailable')) throw err; // bad credentials are not worth retrying
        lastProblem = err.message;
        await this.backoff(attempt, maxRetries, undefined);
        continue;
      }
      let res: Response;
      try {
        res = await this.limiter.run(() =>
          this.fetch(url, {
            headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
            signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
          }),
        );
      } catch (err) {
        lastProblem =
          (err as Error).name === 'TimeoutError' ? 'timed out' : `network error (${(err as Error).message})`;
        await this.backoff(attempt, maxRetries, undefined);
        continue;
      }
      if (res.ok) return res.json();
      await res.body?.cancel().catch(() => {});
      if (res.status === 401 && !refreshed) {
        refreshed = true;
        this.token = undefined;
        attempt--; // one token refresh does not count as a retry
        continue;
      }
      if (res.status === 401)
        throw new UsoError('integris_auth', 'Integris refused the access token twice: check INTEGRIS_CLIENT_ID/SECRET');
      if (res.status === 404)
        throw new UsoError(
          'integris_access_revoked',
          `Integris does not know ${url.pathname} (school unknown or access revoked)`,
        );
      if (res.status === 403)
        throw new UsoError(
          'integris_forbidden',
          `Integris refused ${url.pathname}: the permission area is not granted`,
        );
      if (res.status !== 429 && res.status < 500)
        throw new UsoError('integris_unavailable', `Integris answered ${res.status} for ${url.pathname}`);
      lastProblem = `HTTP ${res.status}`;
      await this.backoff(attempt, maxRetries, res.status === 429 ? res.headers.get('retry-after') : undefined);
    }
    throw new UsoError(
      'integris_unavailable',
      `Integris ${url.pathname} failed after ${maxRetries + 1} attempts: ${lastProblem}`,
    );
  }

  private async backoff(attempt: number, maxRetries: number, retryAfter: string | null | undefined): Promise<void> {
    if (attempt >= maxRetries) return;
    const base = this.options.baseDelayMs ?? 500;
    const cap = this.options.maxDelayMs ?? 30_000;
    const seconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
    // A long Retry-After is not waited out inside one request (it would hold a worker for as long as Integris
    // asks): the request fails, and the job's own backoff tries the school again later.
    const maxWait = this.options.maxRetryAfterSeconds ?? 120;
    if (seconds !== undefined && seconds > maxWait) {
      throw new UsoError(
        'integris_unavailable',
        `Integris asked to wait ${seconds} s before retrying (over ${maxWait} s): the export is retried later`,
      );
    }
    // Full jitter keeps many schools' retries from arriving together; Retry-After is a floor, not a hint.
    const wait =
      seconds !== undefined ? seconds * 1000 : Math.min(cap, base * 2 ** attempt) * (0.5 + this.random() / 2);
    await this.sleep(Math.round(wait));
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - 60_000 > this.now()) return this.token.value;
    this.tokenRequest ??= this.requestToken().finally(() => (this.tokenRequest = undefined));
    return this.tokenRequest;
  }

  private async requestToken(): Promise<string> {
    const url = new URL(
      'oauth/token',
      this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`,
    );
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
      scope: 'datashare',
    });
    let res: Response;
    try {
      res = await this.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new UsoError('integris_unavailable', `Integris token request failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (res.status === 400 || res.status === 401) {
      throw new UsoError(
        'integris_auth',
        'Integris refused the client credentials: check INTEGRIS_CLIENT_ID and INTEGRIS_CLIENT_SECRET',
      );
    }
    if (!res.ok) throw new UsoError('integris_unavailable', `Integris token request answered ${res.status}`);
    const json = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== 'string')
      throw new UsoError('integris_unavailable', 'Integris token response had no access_token');
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : 300;
    this.token = { value: json.access_token, expiresAt: this.now() + expiresIn * 1000 };
    return json.access_token;
  }
}
