/**
 * Real projects for the rebuild tests, each a git repository made in a temporary folder and built
 * by a real toolchain, the way a vendor would: in its own clone, at its own path, with its own
 * environment (another time zone, HOME, locale and umask than the rebuilder's normalised one).
 *
 *  - `crosscheckRepository`: this project's tracked files (`git ls-files`, as they are in the
 *    working tree), committed afresh, so the test does not depend on this repository's history;
 *    the vendor's artifact is its `npm pack --ignore-scripts` tarball.
 *  - `cProgram`: a C program of two files with a Makefile whose flags make it independent of the
 *    folder it is built in (`-ffile-prefix-map`), built by make and gcc.
 *  - `stampedProgram`: the same, packed in a reproducible tarball beside a build-info.txt that
 *    records the wall-clock build time (deliberately not reproducible).
 */
import { type ExecFileSyncOptions, execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  type ReleasePredicate,
  signRelease,
} from "../../src/attest/index.js";
import { sha256, toHex } from "../../src/crypto/index.js";

export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const made: string[] = [];

/** A temporary folder, removed by `removeScratch`. */
export function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `crosscheck-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes every folder `scratch` made in this test file. */
export function removeScratch(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: "Vendor Release Engineering",
  GIT_AUTHOR_EMAIL: "release@vendor.example",
  GIT_COMMITTER_NAME: "Vendor Release Engineering",
  GIT_COMMITTER_EMAIL: "release@vendor.example",
  GIT_CONFIG_NOSYSTEM: "1",
};

function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", args, {
    cwd,
    env: { ...process.env, ...GIT_ENV, HOME: cwd, ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** Makes `dir` a git repository holding `files` (path → text, or {text, mode}); returns the commit. */
export function commitFiles(
  dir: string,
  files: Record<string, string | { text: string; mode: number }>,
  date = "2026-11-20T09:00:00Z",
  message = "release candidate",
): string {
  if (!existsSync(join(dir, ".git"))) {
    mkdirSync(dir, { recursive: true });
    git(dir, ["init", "--quiet", "--initial-branch=main"]);
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    const { text, mode } = typeof content === "string" ? { text: content, mode: 0o644 } : content;
    writeFileSync(join(dir, path), text, { mode });
  }
  git(dir, ["add", "--all"]);
  git(dir, ["commit", "--quiet", "--allow-empty", "-m", message], {
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  });
  return git(dir, ["rev-parse", "HEAD"]);
}

/** A copy of this project's tracked files, committed in a fresh repository. */
export function crosscheckRepository(dir: string): { commit: string; files: number } {
  mkdirSync(dir, { recursive: true });
  const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: PROJECT_ROOT, encoding: "utf8" })
    .split("\0")
    .filter((p) => p !== "");
  let files = 0;
  for (const path of tracked) {
    const from = join(PROJECT_ROOT, path);
    // Files deleted in the working tree but not yet in git are not part of the copy.
    if (!existsSync(from) || !statSync(from).isFile()) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    copyFileSync(from, join(dir, path));
    files++;
  }
  git(dir, ["init", "--quiet", "--initial-branch=main"]);
  git(dir, ["add", "--all"]);
  git(dir, ["commit", "--quiet", "-m", "crosscheck"], {
    GIT_AUTHOR_DATE: "2026-11-21T10:00:00Z",
    GIT_COMMITTER_DATE: "2026-11-21T10:00:00Z",
  });
  return { commit: git(dir, ["rev-parse", "HEAD"]), files };
}

/** The package's name and version, for `npm pack`'s file name. */
export function packName(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as {
    name: string;
    version: string;
  };
  return `${pkg.name}-${pkg.version}.tgz`;
}

export const MAKEFILE = `# Path-independent: debug info and __FILE__ name the source relative to the checkout.
CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -Wall -ffile-prefix-map=$(CURDIR)=.

hello: hello.c greeting.o greeting.h
\t$(CC) $(CFLAGS) -o $@ hello.c greeting.o

greeting.o: greeting.c greeting.h
\t$(CC) $(CFLAGS) -c -o $@ greeting.c

# A release tarball with the build's wall-clock time in it: deliberately not reproducible.
dist.tar.gz: hello
\tdate -u '+built at %Y-%m-%dT%H:%M:%S.%NZ' > build-info.txt
\ttar --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner \\
\t    -cf - hello build-info.txt | gzip -n > $@
`;

export const C_SOURCES = {
  Makefile: MAKEFILE,
  "greeting.h": "#pragma once\nconst char *greeting(void);\n",
  "greeting.c":
    '#include "greeting.h"\n\nconst char *greeting(void) { return "Hello from the agent"; }\n',
  "hello.c": `#include <stdio.h>
#include "greeting.h"

/* __DATE__ and __TIME__ follow SOURCE_DATE_EPOCH with gcc, so they are reproducible. */
int main(void) {
  printf("%s (compiled %s %s, %s)\\n", greeting(), __DATE__, __TIME__, __FILE__);
  return 0;
}
`,
};

/**
 * Builds like a vendor: clones `repository` at `commit` into its own folder and runs `command`
 * there with the vendor's own environment (not the rebuilder's), SOURCE_DATE_EPOCH set from the
 * commit as reproducible-builds practice asks. Returns the folder.
 */
export function vendorBuild(
  repository: string,
  commit: string,
  command: string[],
  env: Record<string, string> = {},
): string {
  const dir = scratch("vendor-build");
  const checkout = join(dir, "checkout-at-a-different-path");
  execFileSync("git", ["clone", "--quiet", repository, checkout], { stdio: "ignore" });
  git(checkout, ["checkout", "--quiet", "--detach", commit]);
  const epoch = git(checkout, ["log", "-1", "--format=%ct"]);
  const options: ExecFileSyncOptions = {
    cwd: checkout,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      HOME: join(dir, "vendor-home"),
      TZ: "America/Los_Angeles",
      LANG: "de_DE.UTF-8",
      SOURCE_DATE_EPOCH: epoch,
      npm_config_cache: join(dir, "npm-cache"),
      npm_config_update_notifier: "false",
      ...env,
    },
  };
  mkdirSync(join(dir, "vendor-home"));
  execFileSync(command[0] as string, command.slice(1), options);
  return checkout;
}

export function fileDigest(path: string): { sha256: string; size: number } {
  const bytes = readFileSync(path);
  return { sha256: toHex(sha256(bytes)), size: bytes.length };
}

/** A signed product release of `files` (name → path) from `repository` at `commit`. */
export function productRelease(
  vendorSignerKey: string,
  input: {
    repository: string;
    commit: string;
    recipe: string;
    files: Record<string, string>;
    version?: string;
    previous?: string | null;
  },
): { envelope: Envelope; predicate: ReleasePredicate } {
  const predicate: ReleasePredicate = {
    channel: "product",
    version: input.version ?? "2026.11.23.1",
    artifacts: Object.entries(input.files).map(([name, path]) => ({ name, ...fileDigest(path) })),
    source: { repository: input.repository, commit: input.commit },
    build: { recipe: input.recipe },
    previous: input.previous ? { envelopeSha256: input.previous } : null,
    audience: "everyone",
    published: "2026-11-23T10:00:00Z",
  };
  return { envelope: signRelease(predicate, ed25519EnvelopeSigner(vendorSignerKey)), predicate };
}

/** Every process whose environment holds `marker` (read from /proc; we run as root). */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
