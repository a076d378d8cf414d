// One coded error type for the whole service. Only the HTTP shell and the CLI map codes to statuses or exit codes.
export type ErrorCode =
  | 'config_invalid'
  | 'store_unavailable'
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
  | 'not_found'
  | 'forbidden'
  | 'run_in_progress'
  | 'school_paused'
  | 'stale_action'
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

/** Wraps anything thrown into a UsoError, keeping an existing code. */
export function asUsoError(err: unknown, code: ErrorCode = 'internal'): UsoError {
  if (err instanceof UsoError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UsoError(code, message, { cause: err });
}
