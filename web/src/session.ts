/**
 * Who is signed in, for every component: GET /api/v1/auth/me once at load, then sign-in and
 * sign-out. The session itself is an HttpOnly cookie the page never sees; its CSRF token is kept
 * in memory only (never in storage), and handed to api.ts for writes.
 */
import { useSyncExternalStore } from "react";
import { ApiError, getJson, type SessionUser, send, setCsrfToken } from "./api.js";

export type SessionState =
  | { state: "checking" }
  | { state: "signed-out" }
  | { state: "signed-in"; user: SessionUser };

let current: SessionState = { state: "checking" };
const listeners = new Set<() => void>();

function set(next: SessionState): void {
  current = next;
  setCsrfToken(next.state === "signed-in" ? next.user.csrfToken : undefined);
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): SessionState {
  return useSyncExternalStore(subscribe, () => current);
}

/** Asks the server who this browser's cookie belongs to (on load, and after a write is refused). */
export async function refreshSession(): Promise<void> {
  try {
    set({ state: "signed-in", user: await getJson<SessionUser>("/api/v1/auth/me") });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) set({ state: "signed-out" });
    else {
      set({ state: "signed-out" });
      throw err;
    }
  }
}

export async function signIn(name: string, password: string): Promise<SessionUser> {
  const user = await send<SessionUser>("POST", "/api/v1/auth/signin", { name, password });
  set({ state: "signed-in", user });
  return user;
}

export async function signOut(): Promise<void> {
  await send<void>("POST", "/api/v1/auth/signout");
  set({ state: "signed-out" });
}

/** Whether the signed-in user's role is one of `roles` (an admin may do anything). */
export function can(session: SessionState, roles: readonly string[]): boolean {
  return (
    session.state === "signed-in" &&
    (session.user.role === "admin" || roles.includes(session.user.role))
  );
}
