/**
 * Every error Sluice raises on purpose: a stable code, whether retrying can help, and a message that says what was
 * expected, what was got and what to do.
 */
export class SluiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SluiceError";
  }
}
