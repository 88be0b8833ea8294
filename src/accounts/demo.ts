/**
 * The demo's people: one user per role, each with a random password in `<dir>/<name>.password`
 * (mode 0600), so whoever runs `crosscheck serve` can sign in to the portal as anyone.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hashPassword } from "./passwords.js";
import type { AccountStore, Role } from "./storage/index.js";

/** Names match the demo's API tokens, so a tenant user is the demo tenant of the same name. */
export const DEMO_USERS: readonly { name: string; role: Role }[] = [
  { name: "vendor", role: "vendor" },
  { name: "reviewer-alpha", role: "reviewer" },
  { name: "auditor", role: "auditor" },
  { name: "admin", role: "admin" },
  { name: "demo-eu", role: "tenant" },
];

/** Creates the missing demo users; a password file already there is reused (a fresh database). */
export async function ensureDemoUsers(
  store: AccountStore,
  dir: string,
): Promise<{ name: string; role: Role; created: boolean }[]> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const done = [];
  for (const { name, role } of DEMO_USERS) {
    if (await store.user(name)) {
      done.push({ name, role, created: false });
      continue;
    }
    const file = join(dir, `${name}.password`);
    let password = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
    if (password.length < 12) {
      password = randomBytes(18).toString("base64url");
      writeFileSync(file, `${password}\n`, { mode: 0o600 });
    }
    await store.createUser(
      { name, role, passwordHash: await hashPassword(password) },
      new Date().toISOString(),
    );
    done.push({ name, role, created: true });
  }
  return done;
}
