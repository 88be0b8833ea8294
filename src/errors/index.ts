/**
 * The one error type every component throws. `code` is stable (`E_ROLLBACK`, `E_TILE_PATH`, …)
 * and safe to match on; `message` is a sentence the user can act on. The HTTP layer maps codes to
 * statuses and answers `{error:{code,message}}`; the CLI prints the message and exits non-zero.
 */
export class CrosscheckError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CrosscheckError";
    this.code = code;
  }
}

export function isCrosscheckError(err: unknown, code?: string): err is CrosscheckError {
  return err instanceof CrosscheckError && (code === undefined || err.code === code);
}
