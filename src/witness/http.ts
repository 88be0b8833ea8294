/** The witness over HTTP: `POST <prefix>/add-checkpoint`, answered as C2SP tlog-witness says. */
import type { FastifyInstance } from "fastify";
import { MAX_REQUEST_SIZE } from "./protocol.js";
import type { Witness } from "./witness.js";

export async function witnessRoutes(
  app: FastifyInstance,
  options: { witness: Witness },
): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "*",
    { parseAs: "string", bodyLimit: MAX_REQUEST_SIZE },
    (_req, body, done) => done(null, body),
  );
  app.post("/add-checkpoint", async (request, reply) => {
    const body = typeof request.body === "string" ? request.body : "";
    const answer = options.witness.addCheckpoint(body);
    return reply.status(answer.status).type(answer.contentType).send(answer.body);
  });
}
