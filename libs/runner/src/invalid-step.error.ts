/**
 * A step definition the runner refuses to execute (unknown interpreter, reserved environment
 * name, …). `field` names the offending part so the caller can map it to its own validation error.
 */
export class InvalidStepError extends Error {
  override readonly name = 'InvalidStepError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
