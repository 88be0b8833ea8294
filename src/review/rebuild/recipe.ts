/**
 * The build recipe a product release carries in `build.recipe`: how anyone turns its source into
 * its artifacts. Small on purpose, and versioned by its `format` line. YAML (so JSON too):
 *
 *   format: crosscheck/rebuild/v1
 *   command: [make, hello]        argv, run without a shell; or one string, run by /bin/sh -c
 *   directory: .                  optional: where to run it, relative to the checkout
 *   environment:                  optional: variables the build needs, on top of the normalised
 *     CFLAGS: -O2                 ones (PATH, HOME, TMPDIR, TZ, LANG, LC_ALL, SOURCE_DATE_EPOCH
 *                                 are the rebuilder's and cannot be set here)
 *   network: false                optional, default false: no network at all (not even loopback)
 *   timeout: 600                  optional: seconds, default 1800, at most 86400
 *   tools: [gcc, make]            optional: tools whose `--version` the attestation records
 *   artifacts:                    every artifact of the release, by its name in the release, and
 *     - name: hello               the path the build leaves it at, relative to the checkout
 *       path: hello
 *
 * The rebuilder checks out the commit into a fresh folder and runs the command with umask 022 and
 * the normalised environment: PATH a fixed system path, HOME and TMPDIR fresh empty folders,
 * TZ=UTC, LANG=LC_ALL=C.UTF-8, SOURCE_DATE_EPOCH the commit's committer time. Anything not listed
 * here is refused (`E_RECIPE_INVALID`), so a recipe means the same to every rebuilder.
 */
import { parseDocument } from "yaml";
import { CrosscheckError } from "../../errors/index.js";

export const RECIPE_FORMAT = "crosscheck/rebuild/v1";
export const DEFAULT_TIMEOUT_SECONDS = 1800;
export const MAX_TIMEOUT_SECONDS = 86400;

/** Variables the rebuilder sets itself: they are the normalisation. */
export const NORMALISED_VARIABLES: readonly string[] = [
  "PATH",
  "HOME",
  "TMPDIR",
  "TZ",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "SOURCE_DATE_EPOCH",
];

export interface RecipeArtifact {
  /** The artifact's name in the release. */
  name: string;
  /** Where the build leaves it, relative to the checkout. */
  path: string;
}

export interface Recipe {
  format: typeof RECIPE_FORMAT;
  /** The argv to run; a string command is `["/bin/sh", "-c", text]`. */
  command: string[];
  /** Relative to the checkout; "." for its root. */
  directory: string;
  environment: Record<string, string>;
  network: boolean;
  timeout: number;
  tools: string[];
  artifacts: RecipeArtifact[];
}

const KEYS = new Set([
  "format",
  "command",
  "directory",
  "environment",
  "network",
  "timeout",
  "tools",
  "artifacts",
]);
const MAX_ARGS = 256;
const MAX_ARG = 8192;
const MAX_VARIABLES = 64;
const MAX_TOOLS = 16;

function invalid(message: string): CrosscheckError {
  return new CrosscheckError("E_RECIPE_INVALID", `The build recipe is unusable: ${message}`);
}

/** Parses and checks a recipe. Throws `E_RECIPE_INVALID` naming the first problem. */
export function parseRecipe(text: string): Recipe {
  const document = parseDocument(text, { uniqueKeys: true });
  const error = document.errors[0];
  if (error) throw invalid(`it is not YAML or JSON (${error.message.split("\n")[0]}).`);
  let value: unknown;
  try {
    // No aliases: a recipe is small, and an alias bomb is not one.
    value = document.toJS({ maxAliasCount: 0 });
  } catch (err) {
    throw invalid(`it cannot be read (${(err as Error).message.split("\n")[0]}).`);
  }
  if (!isObject(value)) {
    throw invalid(`it must be a mapping that starts with "format: ${RECIPE_FORMAT}".`);
  }
  if (value.format !== RECIPE_FORMAT) {
    throw invalid(
      `its format is ${JSON.stringify(value.format ?? null)}; this rebuilder reads ${RECIPE_FORMAT}.`,
    );
  }
  for (const key of Object.keys(value)) {
    if (!KEYS.has(key)) throw invalid(`${JSON.stringify(key)} is not a field of ${RECIPE_FORMAT}.`);
  }
  return {
    format: RECIPE_FORMAT,
    command: command(value.command),
    directory: value.directory === undefined ? "." : relativePath(value.directory, "directory"),
    environment: environment(value.environment),
    network: optionalBoolean(value.network, "network", false),
    timeout: timeout(value.timeout),
    tools: tools(value.tools),
    artifacts: artifacts(value.artifacts),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function command(value: unknown): string[] {
  if (typeof value === "string") {
    if (value.trim() === "" || value.length > MAX_ARG || value.includes("\0")) {
      throw invalid("command must be a non-empty line of at most 8192 characters.");
    }
    return ["/bin/sh", "-c", value];
  }
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > MAX_ARGS ||
    !value.every((a) => typeof a === "string" && a.length <= MAX_ARG && !a.includes("\0")) ||
    value[0] === ""
  ) {
    throw invalid(
      "command must be a list of strings (the program first) or one string for /bin/sh -c.",
    );
  }
  return value as string[];
}

/** A path inside the checkout: relative, no "..", no NUL. */
function relativePath(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "" || value.length > 4096 || value.includes("\0")) {
    throw invalid(`${field} must be a path relative to the checkout.`);
  }
  const parts = value.split("/").filter((p) => p !== "" && p !== ".");
  if (value.startsWith("/") || parts.includes("..")) {
    throw invalid(`${field} ${JSON.stringify(value)} leaves the checkout.`);
  }
  return parts.length === 0 ? "." : parts.join("/");
}

function environment(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw invalid("environment must map variable names to strings.");
  const entries = Object.entries(value);
  if (entries.length > MAX_VARIABLES) throw invalid(`environment has more than ${MAX_VARIABLES}.`);
  const out: Record<string, string> = {};
  for (const [name, v] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name)) {
      throw invalid(`${JSON.stringify(name)} is not a variable name.`);
    }
    if (NORMALISED_VARIABLES.includes(name)) {
      throw invalid(`${name} is set by the rebuilder (it is part of the normalised environment).`);
    }
    const text = typeof v === "number" || typeof v === "boolean" ? String(v) : v;
    if (typeof text !== "string" || text.length > MAX_ARG || text.includes("\0")) {
      throw invalid(`the value of ${name} must be a string of at most ${MAX_ARG} characters.`);
    }
    out[name] = text;
  }
  return out;
}

function optionalBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalid(`${field} must be true or false.`);
  return value;
}

function timeout(value: unknown): number {
  if (value === undefined) return DEFAULT_TIMEOUT_SECONDS;
  if (
    !Number.isInteger(value) ||
    (value as number) < 1 ||
    (value as number) > MAX_TIMEOUT_SECONDS
  ) {
    throw invalid(`timeout must be whole seconds from 1 to ${MAX_TIMEOUT_SECONDS}.`);
  }
  return value as number;
}

function tools(value: unknown): string[] {
  if (value === undefined) return [];
  if (
    !Array.isArray(value) ||
    value.length > MAX_TOOLS ||
    !value.every((t) => typeof t === "string" && /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/.test(t))
  ) {
    throw invalid(`tools must list at most ${MAX_TOOLS} program names.`);
  }
  return value as string[];
}

function artifacts(value: unknown): RecipeArtifact[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 4096) {
    throw invalid("artifacts must list every artifact of the release with its path.");
  }
  const names = new Set<string>();
  return value.map((item, i) => {
    if (!isObject(item) || Object.keys(item).some((k) => k !== "name" && k !== "path")) {
      throw invalid(`artifacts[${i}] must be {name, path}.`);
    }
    if (typeof item.name !== "string" || item.name === "" || item.name.length > 256) {
      throw invalid(`artifacts[${i}].name must be the artifact's name in the release.`);
    }
    if (names.has(item.name)) throw invalid(`the artifact ${item.name} is listed twice.`);
    names.add(item.name);
    const path = relativePath(item.path, `artifacts[${i}].path`);
    if (path === ".") throw invalid(`artifacts[${i}].path must name a file.`);
    return { name: item.name, path };
  });
}
