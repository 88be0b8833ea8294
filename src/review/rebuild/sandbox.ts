/**
 * Runs one command of a rebuild (git, the build, a tool's --version, diffoscope) so that it
 * cannot outlive its time limit or leave anything running:
 *
 *  - it gets exactly the environment it is given (nothing inherited) and umask 022;
 *  - where Linux namespaces are available (`unshare`, root or user namespaces) it runs as PID 1 of
 *    its own PID namespace (`--pid --fork --kill-child`): when that process ends, or unshare is
 *    killed, the kernel kills every process of the namespace, daemons that called setsid included;
 *    with `network: false` it also gets an empty network namespace (`--net`: no interface up);
 *  - everywhere it leads its own process group, which is sent SIGKILL on timeout and again once it
 *    exits, for whatever it left behind in the group;
 *  - with `user`, it runs as that uid and gid with no supplementary groups (`setpriv`, which needs
 *    root): the vendor's recipe then cannot read what only the rebuilder's user may (keys, tokens).
 *
 * Where a namespace cannot be made, the outcome says so (`processes: "process-group"`,
 * `network: "not-isolated"`) rather than pretending: the attestation records it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";

export type NetworkIsolation = "isolated" | "allowed" | "not-isolated";
export type ProcessIsolation = "pid-namespace" | "process-group";

export interface SandboxCommand {
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** Whether the command may use the network. */
  network: boolean;
  timeoutMs: number;
  /** Runs the command as this user (the caller must be root). */
  user?: { uid: number; gid: number };
  /** Receives everything the command writes to stdout and stderr, in order. */
  output(chunk: Buffer): void;
}

export interface SandboxOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  network: NetworkIsolation;
  processes: ProcessIsolation;
}

/** How long the pipes may stay open after the command exited (something escaped holds them). */
const PIPE_GRACE_MS = 2000;

let probed: { pid: boolean; net: boolean } | undefined;

/** Which namespaces this machine lets us make (probed once per process). */
export function namespaceSupport(): { pid: boolean; net: boolean } {
  if (!probed) {
    const works = (args: string[]) => {
      try {
        return (
          spawnSync("unshare", [...args, "--", "true"], { stdio: "ignore", timeout: 10_000 })
            .status === 0
        );
      } catch {
        return false;
      }
    };
    probed = { pid: works(["--pid", "--fork", "--kill-child"]), net: works(["--net"]) };
  }
  return probed;
}

/** Runs the command under the rules above; never throws for the command's own failure. */
export function runSandboxed(command: SandboxCommand): Promise<SandboxOutcome> {
  const support = namespaceSupport();
  const isolateNet = !command.network && support.net;
  const network: NetworkIsolation = command.network
    ? "allowed"
    : isolateNet
      ? "isolated"
      : "not-isolated";
  const processes: ProcessIsolation = support.pid ? "pid-namespace" : "process-group";
  const unshare = [
    ...(support.pid ? ["--pid", "--fork", "--kill-child"] : []),
    ...(isolateNet ? ["--net"] : []),
  ];
  // The shell sets the umask and then becomes the command (exec), so the command is the
  // namespace's PID 1 and its exit ends the namespace.
  const shell = [
    ...(command.user
      ? [
          "setpriv",
          `--reuid=${command.user.uid}`,
          `--regid=${command.user.gid}`,
          "--clear-groups",
          "--",
        ]
      : []),
    "/bin/sh",
    "-c",
    'umask 022 && exec "$@"',
    "sh",
    ...command.argv,
  ];
  const argv = unshare.length > 0 ? ["unshare", ...unshare, "--", ...shell] : shell;

  const started = Date.now();
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(argv[0] as string, argv.slice(1), {
        cwd: command.cwd,
        env: { ...command.env },
        detached: true, // its own process group (and session), so the group can be killed whole
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (err) {
      command.output(Buffer.from(`cannot start ${argv[0]}: ${(err as Error).message}\n`));
      resolve({
        exitCode: null,
        signal: null,
        timedOut: false,
        durationMs: 0,
        network,
        processes,
      });
      return;
    }
    let timedOut = false;
    let exit: { code: number | null; signal: string | null } | undefined;
    let settled = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, command.timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => command.output(chunk));
    child.stderr?.on("data", (chunk: Buffer) => command.output(chunk));
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        durationMs: Date.now() - started,
        network,
        processes,
      });
    };
    child.on("error", (err) => {
      command.output(Buffer.from(`cannot start ${argv[0]}: ${err.message}\n`));
      exit ??= { code: null, signal: null };
      finish();
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      clearTimeout(timer); // it ended in time, whatever its pipes do next
      // Whatever the command left in its group goes with it.
      killGroup(child.pid);
      grace = setTimeout(finish, PIPE_GRACE_MS);
    });
    child.on("close", () => {
      exit ??= { code: child.exitCode, signal: child.signalCode };
      void waitGroupGone(child.pid).then(finish);
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Waits (briefly) until no process of the group is left, killing stragglers. */
async function waitGroupGone(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    killGroup(pid);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
