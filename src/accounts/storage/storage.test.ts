import { afterEach, describe, expect, it } from "vitest";
import { backends } from "../../../test/support/backends.js";
import { isCrosscheckError } from "../../errors/index.js";
import { openAccountStore } from "./index.js";

const AT = "2026-11-23T12:00:00.000Z";
const SHA = "ab".repeat(32);

for (const backend of backends) {
  describe.runIf(backend.available)(`account store on ${backend.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup() {
      const db = await backend.create();
      cleanups.push(() => db.dispose());
      return openAccountStore(db.database);
    }

    it("keeps users with unique names, and disabling one ends its sessions", async () => {
      const store = await setup();
      await store.createUser({ name: "alice", role: "auditor", passwordHash: "scrypt$h" }, AT);
      await store.createUser({ name: "bob", role: "vendor", passwordHash: "scrypt$b" }, AT);
      let error: unknown;
      try {
        await store.createUser({ name: "alice", role: "admin", passwordHash: "x" }, AT);
      } catch (err) {
        error = err;
      }
      expect(isCrosscheckError(error, "E_USER_EXISTS")).toBe(true);
      expect(await store.user("alice")).toEqual({
        name: "alice",
        role: "auditor",
        passwordHash: "scrypt$h",
        createdAt: AT,
        disabled: false,
      });
      expect((await store.users()).map((u) => u.name)).toEqual(["alice", "bob"]);

      const session = {
        idSha256: "11".repeat(32),
        name: "alice",
        csrfSha256: "22".repeat(32),
        createdAt: AT,
        expiresAt: "2026-11-24T00:00:00.000Z",
      };
      await store.createSession(session);
      await store.createSession({ ...session, idSha256: "33".repeat(32), name: "bob" });
      expect(await store.session(session.idSha256)).toEqual({
        ...session,
        role: "auditor",
        disabled: false,
      });
      expect(await store.disableUser("alice")).toBe(true);
      expect(await store.disableUser("nobody")).toBe(false);
      expect(await store.session(session.idSha256)).toBeUndefined();
      expect((await store.user("alice"))?.disabled).toBe(true);
      expect(await store.session("33".repeat(32))).toMatchObject({ name: "bob" });

      expect(await store.deleteExpiredSessions("2026-11-24T00:00:00.000Z")).toBe(1);
      expect(await store.session("33".repeat(32))).toBeUndefined();
      await store.deleteSession("33".repeat(32));
    });

    it("gives a user another role and ends their sessions", async () => {
      const store = await setup();
      await store.createUser({ name: "carol", role: "auditor", passwordHash: "scrypt$c" }, AT);
      await store.createSession({
        idSha256: "44".repeat(32),
        name: "carol",
        csrfSha256: "55".repeat(32),
        createdAt: AT,
        expiresAt: "2026-11-24T00:00:00.000Z",
      });
      expect(await store.setRole("carol", "reviewer")).toBe(true);
      expect(await store.setRole("nobody", "reviewer")).toBe(false);
      expect((await store.user("carol"))?.role).toBe("reviewer");
      expect(await store.session("44".repeat(32))).toBeUndefined();
    });

    it("keeps concerns and answers with their log indexes, found by target", async () => {
      const store = await setup();
      const concern = (targetKind: "release" | "finding" | "dictionary-field", targetRef: string) =>
        store.addConcern({
          targetKind,
          targetRef,
          text: `about ${targetRef} <b>&</b>`,
          author: "alice",
          role: "auditor",
          createdAt: AT,
        });
      const onRelease = await concern("release", SHA);
      const onFinding = await concern("finding", `${SHA}#F-1`);
      const elsewhere = await concern("finding", `${"cd".repeat(32)}#F-1`);
      const onField = await concern("dictionary-field", "process_start/user_name");
      await store.setConcernLogIndex(onRelease, 7);

      expect(await store.concern(onRelease)).toEqual({
        id: onRelease,
        targetKind: "release",
        targetRef: SHA,
        text: `about ${SHA} <b>&</b>`,
        author: "alice",
        role: "auditor",
        createdAt: AT,
        logIndex: 7,
      });
      expect((await store.concern(onFinding))?.logIndex).toBeNull();
      expect(await store.concern(9999)).toBeUndefined();
      const ids = async (target?: string) =>
        (await store.concerns({ target, limit: 100 })).map((c) => c.id);
      expect(await ids(SHA)).toEqual([onFinding, onRelease]);
      expect(await ids(`${SHA}#F-1`)).toEqual([onFinding]);
      expect(await ids("process_start/user_name")).toEqual([onField]);
      expect(await ids()).toEqual([onField, elsewhere, onFinding, onRelease]);
      expect(await store.concerns({ limit: 1 })).toHaveLength(1);
      // A LIKE wildcard in a target is taken literally.
      expect(await ids("%")).toEqual([]);

      const first = await store.addAnswer({
        concernId: onRelease,
        text: "answer one",
        author: "bob",
        role: "vendor",
        createdAt: AT,
      });
      const second = await store.addAnswer({
        concernId: onRelease,
        text: "answer two",
        author: "bob",
        role: "vendor",
        createdAt: AT,
      });
      await store.setAnswerLogIndex(second, 12);
      const answers = await store.answers(onRelease);
      expect(answers.map((a) => [a.id, a.text, a.logIndex])).toEqual([
        [first, "answer one", null],
        [second, "answer two", 12],
      ]);
      expect(await store.answers(onField)).toEqual([]);
    });

    it("keeps vulnerability reports and their triage; omitted award and version stay", async () => {
      const store = await setup();
      const a = await store.addReport({
        title: "race",
        description: "d",
        contact: "x@example.org",
        product: null,
        receivedAt: AT,
      });
      const b = await store.addReport({
        title: "leak",
        description: "d",
        contact: "https://example.org",
        product: "agent",
        receivedAt: AT,
      });
      expect(await store.report(a)).toEqual({
        id: a,
        title: "race",
        description: "d",
        contact: "x@example.org",
        product: null,
        severity: null,
        status: "new",
        awardCents: null,
        fixedIn: null,
        receivedAt: AT,
        updatedAt: AT,
      });
      const later = "2026-11-25T00:00:00.000Z";
      expect(
        await store.triageReport(a, {
          severity: "high",
          status: "fixed",
          awardCents: 10_000_000_000,
          fixedIn: "2.0.1",
          updatedAt: later,
        }),
      ).toMatchObject({ severity: "high", status: "fixed", awardCents: 10_000_000_000 });
      expect(
        await store.triageReport(a, { severity: "critical", status: "fixed", updatedAt: later }),
      ).toMatchObject({ severity: "critical", awardCents: 10_000_000_000, fixedIn: "2.0.1" });
      expect(
        await store.triageReport(9999, { severity: "low", status: "new", updatedAt: later }),
      ).toBeUndefined();
      expect((await store.reports()).map((r) => r.id)).toEqual([b, a]);
      expect((await store.reports({ status: "fixed" })).map((r) => r.id)).toEqual([a]);
      expect(await store.reports({ status: "rejected" })).toEqual([]);
    });
  });
}
