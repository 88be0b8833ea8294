/** Binding a storage to one log: its origin names it, its verifier key must never change. */
import { CrosscheckError } from "../../errors/index.js";
import type { TreeState } from "./storage.js";

export interface BindOptions {
  origin: string;
  verifierKey: string;
  /** The signed empty tree, stored when the log is first created. */
  initialState: () => TreeState;
}

export function checkBinding(options: BindOptions, storedKey: string): void {
  if (storedKey !== options.verifierKey) {
    throw new CrosscheckError(
      "E_LOG_KEY_MISMATCH",
      `The log ${options.origin} in this database is signed by ${storedKey}, but this process was started with ${options.verifierKey}. Start it with the log's own key.`,
    );
  }
}
