import { isCrosscheckError } from "../../src/errors/index.js";

/** The code of the CrosscheckError `fn` throws, or undefined when it returns; others rethrow. */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isCrosscheckError(err)) return err.code;
    throw err;
  }
  return undefined;
}
