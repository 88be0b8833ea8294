/**
 * The reviewer's queue: every release waiting for verdicts, oldest first (the longest-waiting
 * first), with how many verdicts it has and whether your organisation has given one. Judging and
 * signing happen on each release's page.
 */
import { getJson, type ReleaseDetail, type ReleaseSummary } from "../api.js";
import { ColumnHeads, Digest, formatTime, Loaded } from "../components.js";
import { Link, useAsync } from "../router.js";
import { useSession } from "../session.js";

async function loadQueue(): Promise<(ReleaseSummary & { verdicts: ReleaseDetail["reviews"] })[]> {
  const { releases } = await getJson<{ releases: ReleaseSummary[] }>(
    "/api/v1/releases?status=in-review&limit=100",
  );
  const details = await Promise.all(
    releases.map((r) => getJson<ReleaseDetail>(`/api/v1/releases/${r.envelopeSha256}`)),
  );
  return releases.map((r, i) => ({ ...r, verdicts: details[i]?.reviews ?? [] })).reverse();
}

export function ReviewQueue() {
  const session = useSession();
  const [queue] = useAsync(loadQueue, "queue");
  if (session.state !== "signed-in" || session.user.role !== "reviewer") {
    return (
      <>
        <h1>Review queue</h1>
        <p>
          This is the reviewers' workspace: <Link to="/sign-in?next=%2Freview">sign in</Link> as a
          reviewer.
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Review queue</h1>
      <p>
        Releases waiting for verdicts, the longest-waiting first. Open one to judge its findings and
        sign your verdict with your reviewer key.
      </p>
      <Loaded async={queue} what="the queue">
        {(list) =>
          list.length === 0 ? (
            <p>Nothing is waiting for review.</p>
          ) : (
            <table data-testid="review-queue">
              <caption className="visually-hidden">Releases in review</caption>
              <ColumnHeads names={["Release", "Submitted", "Verdicts so far", "Statement"]} />
              <tbody>
                {list.map((r) => (
                  <tr key={r.envelopeSha256}>
                    <td>
                      <Link to={`/releases/${r.envelopeSha256}`}>
                        {r.channel} {r.version}
                      </Link>
                    </td>
                    <td>{formatTime(r.submittedAt)}</td>
                    <td>
                      {r.verdicts.length === 0
                        ? "none"
                        : r.verdicts.map((v) => `${v.organization}: ${v.verdict}`).join(", ")}
                    </td>
                    <td>
                      <Digest value={r.envelopeSha256} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </>
  );
}
