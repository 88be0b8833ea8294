/**
 * Accounts (issue 8, Decision 16): people who sign in to the portal with a password and a session
 * cookie, their roles, and what they write — concerns about releases with vendors' answers (each
 * logged), and vulnerability reports with their triage and awards.
 */
export { DEMO_USERS, ensureDemoUsers } from "./demo.js";
export { type AccountRoutesOptions, accountRoutes } from "./http.js";
export {
  checkPasswordStrength,
  hashPassword,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from "./passwords.js";
export {
  AccountService,
  type AccountServiceOptions,
  type Actor,
  SESSION_COOKIE,
  SESSION_HOURS,
} from "./service.js";
export * from "./storage/index.js";
