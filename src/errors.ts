// One coded error type for the whole service. Only the HTTP shell and the CLI map codes to statuses or exit codes.
export type ErrorCode =
  | 'config_invalid'
  | 'store_unavailable'
  | 'port_unavailable'
  | 'store_too_new'
  | 'store_timeout'
  | 'run_interrupted'
  | 'store_conflict'
  | 'ferretdb_unavailable'
  | 'integris_unavailable'
  | 'integris_auth'
  | 'integris_access_revoked'
  | 'integris_forbidden'
  | 'export_incomplete'
  | 'record_invalid'
  | 'signature_invalid'
  | 'payload_invalid'
  | 'unsupported_media_type'
  | 'not_found'
  | 'forbidden'
  | 'run_in_progress'
  | 'school_paused'
  | 'stale_action'
  | 'not_alike'
  | 'usage'
  | 'internal';

export class UsoError extends Error {
  override readonly name = 'UsoError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isUsoError(err: unknown, code?: ErrorCode): err is UsoError {
  return err instanceof UsoError && (code === undefined || err.code === code);
}

/** The code of a store driver error that says the store stalled or went away, if it is one. */
function storeFailureCode(err: unknown): ErrorCode | undefined {
  const e = err as { name?: string; message?: string } | undefined;
  if (!e?.name?.startsWith('Mongo')) return undefined;
  if (e.name === 'MongoNetworkTimeoutError' || / timed out$/.test(e.message ?? '')) return 'store_timeout';
  if (e.name === 'MongoServerSelectionError' || e.name === 'MongoNetworkError' || e.name === 'MongoTopologyClosedError')
    return 'store_unavailable';
  return undefined;
}

/** Wraps anything thrown into a UsoError, keeping an existing code; an aborted run and a stalled store get theirs. */
export function asUsoError(err: unknown, code: ErrorCode = 'internal'): UsoError {
  if (err instanceof UsoError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if ((err as { name?: string })?.name === 'AbortError')
    return new UsoError('run_interrupted', 'the run was stopped (the process is shutting down)', { cause: err });
  const storeCode = storeFailureCode(err);
  if (storeCode === 'store_timeout')
    return new UsoError(
      storeCode,
      `the store did not answer in time (${message}); the run stopped and nothing was lost: run it again once the store answers`,
      { cause: err },
    );
  if (storeCode) return new UsoError(storeCode, `the store cannot be reached (${message})`, { cause: err });
  return new UsoError(code, message, { cause: err });
}
