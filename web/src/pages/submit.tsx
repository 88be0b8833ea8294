/**
 * The vendor submits a release from the browser, as `crosscheck release submit` does from a shell:
 * the artifacts are hashed here, the release statement and the channel head are signed here with
 * the vendor key the person imports (the server never sees it), the artifacts are uploaded, and
 * the signed statements submitted. Analysis and review then follow as for any release.
 */
import { type FormEvent, useState } from "react";
import {
  envelopeDigest,
  headStatement,
  type ReleasePredicate,
  releaseStatement,
  signStatementAsync,
} from "../../../src/attest/index.js";
import { toHex } from "../../../src/crypto/index.js";
import {
  CHANNELS,
  type ChannelInfo,
  type ChannelName,
  getJson,
  type ReleaseSummary,
  send,
  uploadArtifact,
} from "../api.js";
import { ErrorBox, formatBytes, Loaded } from "../components.js";
import { KeyImport } from "../key-import.js";
import { loadPolicy } from "../policy.js";
import { Link, useAsync } from "../router.js";
import { useSession } from "../session.js";
import type { PageSigner } from "../signing-key.js";

/** Whole seconds, as heads and releases state times. */
const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

export function Submit() {
  const session = useSession();
  if (session.state !== "signed-in" || session.user.role !== "vendor") {
    return (
      <>
        <h1>Submit a release</h1>
        <p>
          Vendors submit releases here: <Link to="/sign-in?next=%2Fsubmit">sign in</Link> as the
          vendor.
        </p>
      </>
    );
  }
  return <SubmitForm />;
}

function SubmitForm() {
  const [policy] = useAsync(() => loadPolicy(), "policy");
  const [signer, setSigner] = useState<PageSigner | null>(null);
  const [channel, setChannel] = useState<ChannelName>("rules");
  const [version, setVersion] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [source, setSource] = useState("");
  const [recipe, setRecipe] = useState("");
  const [progress, setProgress] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState<ReleaseSummary | null>(null);

  return (
    <>
      <h1>Submit a release</h1>
      <KeyImport purpose="the vendor's release key" signer={signer} onSigner={setSigner} />
      <Loaded async={policy} what="the trust policy">
        {(trusted) => {
          const vendorKeys = trusted.document.channels[channel]?.vendorKeys ?? [];
          const keyFits = signer !== null && vendorKeys.includes(signer.verifierKey);
          const submit = async (event: FormEvent) => {
            event.preventDefault();
            if (!signer) return;
            setError(null);
            setDone(null);
            try {
              setProgress("Hashing the artifacts…");
              const artifacts = [];
              for (const file of files) {
                const digest = await globalThis.crypto.subtle.digest(
                  "SHA-256",
                  await file.arrayBuffer(),
                );
                artifacts.push({
                  name: file.name,
                  size: file.size,
                  sha256: toHex(new Uint8Array(digest)),
                  file,
                });
              }
              const info = await getJson<ChannelInfo>(`/api/v1/channels/${channel}`);
              let parsedSource: { repository: string; commit: string } | undefined;
              if (source.trim()) {
                const at = source.lastIndexOf("@");
                if (at <= 0) throw new Error("Source takes REPOSITORY@COMMIT.");
                parsedSource = { repository: source.slice(0, at), commit: source.slice(at + 1) };
              }
              const predicate = {
                channel,
                version,
                artifacts: artifacts.map((a) => ({ name: a.name, size: a.size, sha256: a.sha256 })),
                ...(parsedSource ? { source: parsedSource } : {}),
                ...(recipe.trim() ? { build: { recipe } } : {}),
                previous: info.newestSubmitted
                  ? { envelopeSha256: info.newestSubmitted.envelopeSha256 }
                  : null,
                audience: "everyone",
                published: rfc3339(new Date()),
              } as ReleasePredicate;
              setProgress("Signing the release and its head with your key…");
              const release = await signStatementAsync(releaseStatement(predicate), [signer]);
              const issued = new Date(Math.floor(Date.now() / 1000) * 1000);
              const lifetime = trusted.document.channels[channel]?.headExpiry ?? 86_400;
              const head = await signStatementAsync(
                headStatement({
                  channel,
                  version,
                  release: { envelopeSha256: envelopeDigest(release) },
                  issued: rfc3339(issued),
                  expires: rfc3339(new Date(issued.getTime() + lifetime * 1000)),
                }),
                [signer],
              );
              for (const [i, a] of artifacts.entries()) {
                setProgress(
                  `Uploading ${a.name} (${formatBytes(a.size)}, ${i + 1} of ${artifacts.length})…`,
                );
                await uploadArtifact(a.sha256, a.file);
              }
              setProgress("Submitting…");
              const result = await send<{ release: ReleaseSummary }>("POST", "/api/v1/releases", {
                release,
                head,
              });
              setDone(result.release);
            } catch (err) {
              setError(err as Error);
            } finally {
              setProgress("");
            }
          };
          return (
            <form className="stacked" onSubmit={submit} aria-label="Release">
              {signer && !keyFits && (
                <p className="error" role="alert">
                  The trust policy names this key as no vendor key of {channel}: the release would
                  be refused.
                </p>
              )}
              <label>
                Channel
                <select
                  value={channel}
                  onChange={(e) => setChannel(e.currentTarget.value as ChannelName)}
                >
                  {CHANNELS.filter((c) => trusted.document.channels[c]).map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Version
                <input
                  value={version}
                  required
                  pattern="[0-9]+(\.[0-9]+)*"
                  placeholder="2026.12.5.1"
                  onChange={(e) => setVersion(e.currentTarget.value)}
                />
              </label>
              <label>
                Artifacts
                <input
                  type="file"
                  multiple
                  required
                  onChange={(e) => setFiles([...(e.currentTarget.files ?? [])])}
                />
              </label>
              <label>
                Source (optional, REPOSITORY@COMMIT; required for product)
                <input value={source} onChange={(e) => setSource(e.currentTarget.value)} />
              </label>
              <label>
                Build recipe (optional; required for product)
                <textarea value={recipe} onChange={(e) => setRecipe(e.currentTarget.value)} />
              </label>
              <p>
                <button type="submit" disabled={!keyFits || progress !== ""}>
                  Sign and submit
                </button>
              </p>
              <p role="status" aria-live="polite">
                {progress}
              </p>
              {error && <ErrorBox error={error} />}
              {done && (
                <p className="ok" role="alert" data-testid="submitted">
                  Submitted {done.channel} {done.version}, logged at index {done.logIndex}:{" "}
                  <Link to={`/releases/${done.envelopeSha256}`}>its page</Link> shows the analysis
                  and the reviews.
                </p>
              )}
            </form>
          );
        }}
      </Loaded>
    </>
  );
}
