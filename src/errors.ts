import { ERROR_CODES, type ErrorCode } from "./error-codes.ts";

export { ERROR_CODES, type ErrorCode } from "./error-codes.ts";

/**
 * Every error Sluice raises on purpose: a code from the closed catalogue (src/error-codes.ts, which also says whether
 * retrying can help) and a message that says what was expected, what was got and what to do.
 */
export class SluiceError extends Error {
  /** Whether retrying can help: the catalogue's answer for `code`. */
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SluiceError";
    this.retryable = ERROR_CODES[code].retryable;
  }

  /** What the catalogue tells the user to do about this error. */
  get hint(): string {
    return ERROR_CODES[this.code].hint;
  }
}
