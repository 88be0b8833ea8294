/**
 * Choosing a signing key in the page: a key file (read locally, never sent anywhere) and, for an
 * encrypted one, its passphrase. The imported key is held by the page until it is closed.
 */
import { type FormEvent, useId, useState } from "react";
import { ErrorBox } from "./components.js";
import { importSigningKey, isEncryptedKeyFile, type PageSigner } from "./signing-key.js";

export function KeyImport(props: {
  /** What the key is for, e.g. "your reviewer key". */
  purpose: string;
  signer: PageSigner | null;
  onSigner: (signer: PageSigner | null) => void;
}) {
  const id = useId();
  const [text, setText] = useState<string | null>(null);
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  if (props.signer) {
    return (
      <p data-testid="key-in-use">
        Signing with <code>{props.signer.keyid}</code> (
        {props.signer.backend === "webcrypto"
          ? "held by the browser, not readable by this page"
          : "held in this page's memory: this browser has no Ed25519 in WebCrypto"}
        ).{" "}
        <button type="button" className="link" onClick={() => props.onSigner(null)}>
          Forget this key
        </button>
      </p>
    );
  }
  const choose = async (file: File | undefined) => {
    setError(null);
    setText(file ? await file.text() : null);
  };
  const encrypted = text !== null && isEncryptedKeyFile(text);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (text === null) return;
    setBusy(true);
    setError(null);
    try {
      props.onSigner(await importSigningKey(text, encrypted ? passphrase : undefined));
      setText(null);
      setPassphrase("");
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="key-import">
      <p className="muted">
        Signing happens here, in your browser, with {props.purpose}: the file is read by this page
        and never uploaded.
      </p>
      <label htmlFor={`${id}-file`}>Key file</label>
      <input
        id={`${id}-file`}
        type="file"
        onChange={(e) => void choose(e.currentTarget.files?.[0])}
      />
      {encrypted && (
        <>
          <label htmlFor={`${id}-pass`}>Passphrase</label>
          <input
            id={`${id}-pass`}
            type="password"
            autoComplete="off"
            value={passphrase}
            onChange={(e) => setPassphrase(e.currentTarget.value)}
          />
        </>
      )}
      <button type="submit" disabled={text === null || busy}>
        {busy ? "Opening the key…" : "Use this key"}
      </button>
      {error && <ErrorBox error={error} />}
    </form>
  );
}
