/**
 * The accounts API, mounted by the server under `/api/v1` (Decision 16). Every route has a
 * TypeBox schema; authorization runs in `onRequest`, before the body is even validated.
 *
 *   POST  /auth/signin                 public: {name, password} → session cookie + {name, role, csrfToken}
 *   POST  /auth/signout                ends the session of the cookie, if any
 *   GET   /auth/me                     the signed-in user and the session's CSRF token
 *   POST  /users                       admin: {name, role, password}
 *   GET   /users                       admin
 *   POST  /users/:name/disable         admin: disables the user and ends their sessions
 *   POST  /concerns                    auditor, reviewer: {target: {kind, ref}, text}
 *   GET   /concerns[?target]           public; a release's sha256 also finds concerns on its findings
 *   GET   /concerns/:id                public, with its answers
 *   POST  /concerns/:id/answers        vendor: {text}
 *   POST  /reports                     public (strictly rate limited): {title, description, contact, product?}
 *   GET   /reports                     vendor: every report, with contacts
 *   PATCH /reports/:id                 vendor: {severity, status, award?, fixedIn?}
 *   GET   /reports/public              fixed reports without contacts, their awards and the total paid
 *
 * Texts are stored as given and only ever returned inside JSON strings; whoever renders them
 * escapes them (the portal does).
 */
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CrosscheckError } from "../errors/index.js";
import { MAX_PASSWORD_LENGTH } from "./passwords.js";
import type { AccountService, Actor } from "./service.js";
import { SESSION_COOKIE } from "./service.js";
import {
  REPORT_STATUSES,
  type ReportRow,
  ROLES,
  type Role,
  SEVERITIES,
  TARGET_KINDS,
  type UserRow,
} from "./storage/index.js";

export interface AccountRoutesOptions {
  service: AccountService;
  /** Who the request is (bearer token or session with CSRF), if its role is one of `roles`. */
  identify: (request: FastifyRequest, roles: readonly string[]) => Promise<Actor>;
  /** The cookie token of the request, if it carries one. */
  sessionToken: (request: FastifyRequest) => string | undefined;
  /** Route config of ordinary writes, of sign-in, and of public reports (rate limits). */
  writeConfig: Record<string, unknown>;
  signinConfig: Record<string, unknown>;
  reportConfig: Record<string, unknown>;
}

const literals = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );
const ErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  429: ErrorSchema,
};
const UserName = Type.String({ pattern: "^[a-z0-9][a-z0-9._-]{0,63}$", description: "user name" });
const RoleSchema = literals(ROLES, "role");
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const Session = Type.Object({ name: Type.String(), role: Type.String(), csrfToken: Type.String() });
const User = Type.Object({
  name: Type.String(),
  role: Type.String(),
  createdAt: Type.String(),
  disabled: Type.Boolean(),
});
const Target = Type.Object({
  kind: literals(TARGET_KINDS, "what the concern is about"),
  ref: Type.String({
    minLength: 1,
    maxLength: 400,
    description: 'release sha256, "sha256#findingId" or "event/field"',
  }),
});
const Concern = Type.Object({
  id: Type.Integer(),
  target: Target,
  text: Type.String(),
  author: Type.String(),
  role: Type.String(),
  createdAt: Type.String(),
  logIndex: Type.Union([Type.Integer(), Type.Null()]),
});
const Answer = Type.Object({
  id: Type.Integer(),
  concernId: Type.Integer(),
  text: Type.String(),
  author: Type.String(),
  role: Type.String(),
  createdAt: Type.String(),
  logIndex: Type.Union([Type.Integer(), Type.Null()]),
});
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Report = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  description: Type.String(),
  contact: Type.String(),
  product: Nullable(Type.String()),
  severity: Nullable(Type.String()),
  status: Type.String(),
  award: Type.Union([Type.Integer(), Type.Null()], { description: "award in cents" }),
  fixedIn: Nullable(Type.String()),
  receivedAt: Type.String(),
  updatedAt: Type.String(),
});
const SigninBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
});
const NewUserBody = Type.Object({
  name: UserName,
  role: RoleSchema,
  password: Type.String({ minLength: 12, maxLength: MAX_PASSWORD_LENGTH }),
});
const ConcernBody = Type.Object({
  target: Target,
  text: Type.String({ minLength: 1, maxLength: 10_000 }),
});
const AnswerBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 10_000 }) });
const ReportBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ minLength: 1, maxLength: 20_000 }),
  contact: Type.String({
    minLength: 3,
    maxLength: 320,
    description: "an e-mail address or an http(s) URL",
  }),
  product: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
const TriageBody = Type.Object({
  severity: literals(SEVERITIES, "severity"),
  status: literals(REPORT_STATUSES, "status"),
  award: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 100_000_000_00, description: "award in cents" }),
  ),
  fixedIn: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: "version with the fix" }),
  ),
});

const userOut = (u: UserRow) => ({
  name: u.name,
  role: u.role,
  createdAt: u.createdAt,
  disabled: u.disabled,
});
const reportOut = (r: ReportRow) => ({
  id: r.id,
  title: r.title,
  description: r.description,
  contact: r.contact,
  product: r.product,
  severity: r.severity,
  status: r.status,
  award: r.awardCents,
  fixedIn: r.fixedIn,
  receivedAt: r.receivedAt,
  updatedAt: r.updatedAt,
});
const concernOut = (c: {
  id: number;
  targetKind: string;
  targetRef: string;
  text: string;
  author: string;
  role: string;
  createdAt: string;
  logIndex: number | null;
}) => ({
  id: c.id,
  target: { kind: c.targetKind, ref: c.targetRef },
  text: c.text,
  author: c.author,
  role: c.role,
  createdAt: c.createdAt,
  logIndex: c.logIndex,
});

function sessionCookie(request: FastifyRequest, value: string, maxAge: number): string {
  // Secure only over https, or the demo on http://127.0.0.1 could never sign in.
  const secure = request.protocol === "https" ? "; Secure" : "";
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
}

export async function accountRoutes(
  app: FastifyInstance,
  options: AccountRoutesOptions,
): Promise<void> {
  const { service, identify } = options;
  // Who each authorized request is, found once in onRequest and read by its handler.
  const actors = new WeakMap<FastifyRequest, Actor>();
  const allow = (roles: readonly Role[]) => async (request: FastifyRequest) => {
    actors.set(request, await identify(request, roles));
  };
  const actor = (request: FastifyRequest): Actor => {
    const who = actors.get(request);
    if (!who) throw new CrosscheckError("E_UNAUTHORIZED", "This request needs to be signed in.");
    return who;
  };
  const noStore = (reply: FastifyReply) => reply.header("cache-control", "no-store");

  app.post<{ Body: Static<typeof SigninBody> }>(
    "/auth/signin",
    {
      config: options.signinConfig,
      schema: {
        summary: "Sign in with a name and password; sets the session cookie crosscheck_session.",
        tags: ["accounts"],
        body: SigninBody,
        response: { 200: Session, ...errors },
      },
    },
    async (request, reply) => {
      const session = await service.signIn(request.body.name, request.body.password);
      noStore(reply).header(
        "set-cookie",
        sessionCookie(request, session.token, session.maxAgeSeconds),
      );
      return { name: session.name, role: session.role, csrfToken: session.csrfToken };
    },
  );

  app.post(
    "/auth/signout",
    {
      config: options.writeConfig,
      schema: {
        summary: "End the session of the cookie (needs its X-CSRF-Token) and clear the cookie.",
        tags: ["accounts"],
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const token = options.sessionToken(request);
      // A live session is ended only with its CSRF token, so no other site can sign people out.
      if (token && (await service.session(token))) {
        await identify(request, ROLES);
        await service.signOut(token);
      }
      noStore(reply).header("set-cookie", sessionCookie(request, "", 0));
      return reply.status(204).send();
    },
  );

  app.get(
    "/auth/me",
    {
      schema: {
        summary: "The signed-in user and the session's CSRF token.",
        tags: ["accounts"],
        response: { 200: Session, ...errors },
      },
    },
    async (request, reply) => {
      const token = options.sessionToken(request);
      const session = token ? await service.session(token) : undefined;
      if (!session) throw new CrosscheckError("E_UNAUTHORIZED", "You are not signed in.");
      noStore(reply);
      return { name: session.name, role: session.role, csrfToken: session.csrfToken };
    },
  );

  // ——— users (admin) ———

  app.post<{ Body: Static<typeof NewUserBody> }>(
    "/users",
    {
      config: options.writeConfig,
      onRequest: allow(["admin"]),
      schema: {
        summary: "Create a user (admin).",
        tags: ["accounts"],
        body: NewUserBody,
        response: { 201: User, ...errors },
      },
    },
    async (request, reply) => {
      const { name, role, password } = request.body;
      await service.createUser(name, role, password);
      const user = await service.store.user(name);
      return reply.status(201).send(user && userOut(user));
    },
  );

  app.get(
    "/users",
    {
      onRequest: allow(["admin"]),
      schema: {
        summary: "List users (admin).",
        tags: ["accounts"],
        response: { 200: Type.Object({ users: Type.Array(User) }), ...errors },
      },
    },
    async (_request, reply) => {
      noStore(reply);
      return { users: (await service.store.users()).map(userOut) };
    },
  );

  app.post<{ Params: { name: string } }>(
    "/users/:name/disable",
    {
      config: options.writeConfig,
      onRequest: allow(["admin"]),
      schema: {
        summary: "Disable a user and end their sessions (admin).",
        tags: ["accounts"],
        params: Type.Object({ name: UserName }),
        response: { 200: User, ...errors },
      },
    },
    async (request) => {
      await service.disableUser(request.params.name);
      const user = await service.store.user(request.params.name);
      return user && userOut(user);
    },
  );

  app.post<{ Params: { name: string }; Body: { role: Role } }>(
    "/users/:name/role",
    {
      config: options.writeConfig,
      onRequest: allow(["admin"]),
      schema: {
        summary: "Give a user another role (admin); their sessions end.",
        tags: ["accounts"],
        params: Type.Object({ name: UserName }),
        body: Type.Object({ role: RoleSchema }),
        response: { 200: User, ...errors },
      },
    },
    async (request) => {
      await service.setRole(request.params.name, request.body.role);
      const user = await service.store.user(request.params.name);
      return user && userOut(user);
    },
  );

  // ——— concerns ———

  app.post<{ Body: Static<typeof ConcernBody> }>(
    "/concerns",
    {
      config: options.writeConfig,
      onRequest: allow(["auditor", "reviewer"]),
      schema: {
        summary: "Raise a concern about a release, a finding or a dictionary field (logged).",
        tags: ["concerns"],
        body: ConcernBody,
        response: { 201: Concern, ...errors },
      },
    },
    async (request, reply) => {
      const row = await service.addConcern(actor(request), request.body.target, request.body.text);
      return reply.status(201).send(concernOut(row));
    },
  );

  app.get<{ Querystring: { target?: string; limit?: number } }>(
    "/concerns",
    {
      schema: {
        summary:
          "Concerns, newest first; ?target= a ref (a release's sha256 includes its findings).",
        tags: ["concerns"],
        querystring: Type.Object({
          target: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
        }),
        response: { 200: Type.Object({ concerns: Type.Array(Concern) }), ...errors },
      },
    },
    async (request) => {
      const rows = await service.store.concerns({
        target: request.query.target,
        limit: request.query.limit ?? 200,
      });
      return { concerns: rows.map(concernOut) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    "/concerns/:id",
    {
      schema: {
        summary: "One concern with its answers.",
        tags: ["concerns"],
        params: IdParams,
        response: {
          200: Type.Composite([Concern, Type.Object({ answers: Type.Array(Answer) })]),
          ...errors,
        },
      },
    },
    async (request) => {
      const found = await service.concern(request.params.id);
      return { ...concernOut(found), answers: found.answers };
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof AnswerBody> }>(
    "/concerns/:id/answers",
    {
      config: options.writeConfig,
      onRequest: allow(["vendor"]),
      schema: {
        summary: "Answer a concern (vendor; logged).",
        tags: ["concerns"],
        params: IdParams,
        body: AnswerBody,
        response: { 201: Answer, ...errors },
      },
    },
    async (request, reply) => {
      const row = await service.answer(actor(request), request.params.id, request.body.text);
      return reply.status(201).send(row);
    },
  );

  // ——— vulnerability reports ———

  app.post<{ Body: Static<typeof ReportBody> }>(
    "/reports",
    {
      config: options.reportConfig,
      schema: {
        summary: "Report a vulnerability (no account needed).",
        tags: ["reports"],
        body: ReportBody,
        response: { 201: Type.Object({ id: Type.Integer() }), ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await service.addReport(request.body)),
  );

  app.get(
    "/reports",
    {
      onRequest: allow(["vendor"]),
      schema: {
        summary: "Every vulnerability report with its contact (vendor).",
        tags: ["reports"],
        response: { 200: Type.Object({ reports: Type.Array(Report) }), ...errors },
      },
    },
    async (_request, reply) => {
      noStore(reply);
      return { reports: (await service.store.reports()).map(reportOut) };
    },
  );

  app.get(
    "/reports/public",
    {
      schema: {
        summary: "Fixed vulnerabilities (no contacts), their awards and the total paid.",
        tags: ["reports"],
        response: {
          200: Type.Object({
            reports: Type.Array(
              Type.Object({
                id: Type.Integer(),
                title: Type.String(),
                product: Nullable(Type.String()),
                severity: Nullable(Type.String()),
                fixedIn: Nullable(Type.String()),
                award: Type.Union([Type.Integer(), Type.Null()]),
                receivedAt: Type.String(),
                fixedAt: Type.String(),
              }),
            ),
            totalPaid: Type.Integer({ description: "cents" }),
          }),
          ...errors,
        },
      },
    },
    async () => {
      const { reports, totalPaidCents } = await service.publicReports();
      return {
        reports: reports.map(({ awardCents, ...r }) => ({ ...r, award: awardCents })),
        totalPaid: totalPaidCents,
      };
    },
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof TriageBody> }>(
    "/reports/:id",
    {
      config: options.writeConfig,
      onRequest: allow(["vendor"]),
      schema: {
        summary: "Triage a report: severity, status, award (cents), fixed-in version (vendor).",
        tags: ["reports"],
        params: IdParams,
        body: TriageBody,
        response: { 200: Report, ...errors },
      },
    },
    async (request) => {
      const { severity, status, award, fixedIn } = request.body;
      return reportOut(
        await service.triage(request.params.id, { severity, status, awardCents: award, fixedIn }),
      );
    },
  );
}
