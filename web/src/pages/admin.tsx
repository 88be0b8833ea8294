/**
 * The admin's page: people's accounts (create, change role, disable) and the trust policy this
 * service enforces, read from its signed envelope and opened in the page. The policy is changed
 * only by its root keys (`crosscheck policy rotate`), never here.
 */
import { type FormEvent, useState } from "react";
import { getJson, send } from "../api.js";
import { Digest, ErrorBox, formatTime, Loaded } from "../components.js";
import { loadPolicy } from "../policy.js";
import { Link, useAsync } from "../router.js";
import { useSession } from "../session.js";

const ROLES = ["vendor", "reviewer", "rebuilder", "auditor", "admin", "tenant"] as const;

interface User {
  name: string;
  role: string;
  createdAt: string;
  disabled: boolean;
}

export function Admin() {
  const session = useSession();
  if (session.state !== "signed-in" || session.user.role !== "admin") {
    return (
      <>
        <h1>Administration</h1>
        <p>
          <Link to="/sign-in?next=%2Fadmin">Sign in</Link> as an admin to manage accounts.
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Administration</h1>
      <Users me={session.user.name} />
      <PolicyView />
    </>
  );
}

function Users({ me }: { me: string }) {
  const [users, reload] = useAsync(() => getJson<{ users: User[] }>("/api/v1/users"), "users");
  const [error, setError] = useState<Error | null>(null);
  const act = async (write: () => Promise<unknown>) => {
    setError(null);
    try {
      await write();
      reload();
    } catch (err) {
      setError(err as Error);
    }
  };
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    await act(() =>
      send("POST", "/api/v1/users", {
        name: String(data.get("name")),
        role: String(data.get("role")),
        password: String(data.get("password")),
      }),
    );
    form.reset();
  };
  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">Accounts</h2>
      {error && <ErrorBox error={error} />}
      <Loaded async={users} what="the accounts">
        {({ users: list }) => (
          <table data-testid="users">
            <caption className="visually-hidden">Accounts</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.map((u) => (
                <tr key={u.name}>
                  <td>{u.name}</td>
                  <td>
                    <select
                      aria-label={`Role of ${u.name}`}
                      value={u.role}
                      disabled={u.disabled || u.name === me}
                      onChange={(e) => {
                        const role = e.currentTarget.value;
                        void act(() => send("POST", `/api/v1/users/${u.name}/role`, { role }));
                      }}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{formatTime(u.createdAt)}</td>
                  <td>
                    {u.disabled ? (
                      "disabled"
                    ) : (
                      <button
                        type="button"
                        className="danger"
                        disabled={u.name === me}
                        onClick={() =>
                          void act(() => send("POST", `/api/v1/users/${u.name}/disable`))
                        }
                      >
                        Disable {u.name}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
      <form className="stacked" onSubmit={create} aria-label="New account">
        <h3>New account</h3>
        <label>
          Name
          <input name="name" required pattern="[a-z0-9][a-z0-9._\-]{0,63}" />
        </label>
        <label>
          Role
          <select name="role" defaultValue="auditor">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Password (at least 12 characters)
          <input
            name="password"
            type="password"
            minLength={12}
            required
            autoComplete="new-password"
          />
        </label>
        <p>
          <button type="submit">Create account</button>
        </p>
      </form>
    </section>
  );
}

function PolicyView() {
  const [policy] = useAsync(() => loadPolicy(), "policy");
  return (
    <section aria-labelledby="policy-heading" data-testid="policy">
      <h2 id="policy-heading">Trust policy</h2>
      <Loaded async={policy} what="the trust policy">
        {(p) => {
          const d = p.document;
          return (
            <>
              <dl className="facts">
                <dt>Version</dt>
                <dd>{d.version}</dd>
                <dt>Expires</dt>
                <dd>{formatTime(d.expires)}</dd>
                <dt>Digest</dt>
                <dd>
                  <Digest value={p.digest} full />
                </dd>
                <dt>Root keys</dt>
                <dd>
                  {d.root.threshold} of {d.root.keys.length}:{" "}
                  {d.root.keys.map((k) => k.split("+")[0]).join(", ")}
                </dd>
                <dt>Regions</dt>
                <dd>{d.regions.join(", ") || "none"}</dd>
                <dt>Rebuilds required</dt>
                <dd>
                  {d.rebuildThreshold === 0 ? "none" : `${d.rebuildThreshold} organisation(s)`}
                </dd>
              </dl>
              <h3>Channels</h3>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Channel</th>
                    <th scope="col">Vendor keys</th>
                    <th scope="col">Approvals needed</th>
                    <th scope="col">Head lifetime</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(d.channels).map(([name, c]) =>
                    c ? (
                      <tr key={name}>
                        <td>{name}</td>
                        <td>{c.vendorKeys.map((k) => k.split("+")[0]).join(", ")}</td>
                        <td>{c.reviewThreshold} organisation(s)</td>
                        <td>{Math.round(c.headExpiry / 3600)} h</td>
                      </tr>
                    ) : null,
                  )}
                </tbody>
              </table>
              <h3>Reviewers</h3>
              <ul>
                {d.reviewers.map((r) => (
                  <li key={r.key}>
                    {r.organization}: <code>{r.key.split("+").slice(0, 2).join("+")}</code>
                    {r.channels ? ` (${r.channels.join(", ")})` : ""}
                  </li>
                ))}
              </ul>
              <h3>Log and witnesses (C2SP tlog-policy)</h3>
              <pre className="report">{d.log.policy}</pre>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
