/**
 * The Transparency Center portal (web/, built by Vite into dist/web) at `/`. Decision 15: the API
 * owns its prefixes and everything else is the portal, so GETs outside the API fall back to the
 * single page's index.html, while unknown API paths still reach the server's JSON 404. Portal
 * responses carry a strict CSP: the page loads only its own hashed scripts and styles and talks
 * only to this origin, so even a rendering bug cannot run injected script or leak data elsewhere.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export interface PortalOptions {
  /** The built portal; dist/web of this package by default. */
  root?: string;
}

/** Paths the API owns (Decision 15); the portal's client routes never start with these. */
export const API_PREFIXES = ["/log", "/api", "/v1", "/gateway/log", "/metrics"] as const;

export const PORTAL_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const IMMUTABLE = "public, max-age=31536000, immutable";

/** dist/web beside this module's build: dist/src/server → dist/web; from source, <repo>/dist/web. */
export function defaultPortalRoot(): string {
  const up = fileURLToPath(new URL("../../", import.meta.url));
  return basename(up) === "dist" ? join(up, "web") : join(up, "dist", "web");
}

export function isApiPath(path: string): boolean {
  return API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

export async function portalRoutes(app: FastifyInstance, options: PortalOptions): Promise<void> {
  const root = options.root ?? defaultPortalRoot();
  app.addHook("onSend", async (request, reply, payload) => {
    // API 404s reached through the fallback stay exactly what the API answers.
    if (!isApiPath(request.url.split("?")[0] ?? "")) reply.headers(PORTAL_HEADERS);
    return payload;
  });

  const indexFile = join(root, "index.html");
  if (!existsSync(indexFile)) {
    const missing = async (request: FastifyRequest, reply: FastifyReply) => {
      if (isApiPath(request.url.split("?")[0] ?? "")) return reply.callNotFound();
      return reply
        .code(503)
        .header("cache-control", "no-store")
        .type("text/plain; charset=utf-8")
        .send(
          "The Transparency Center portal is not built: run `npm run build` (it writes dist/web), then restart the server.\n",
        );
    };
    app.get("/", missing);
    app.get("/*", missing);
    return;
  }

  // Read once: the build is fixed for the process's life, and every client route answers with it.
  const index = readFileSync(indexFile);
  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    // One route per built file; unknown paths reach the fallback below instead of a 404.
    wildcard: false,
    index: false,
    globIgnore: ["index.html"],
    cacheControl: false,
    setHeaders: (reply, path) => {
      // Vite puts every hashed (content-addressed) file under assets/.
      reply.header("cache-control", path.includes("/assets/") ? IMMUTABLE : "no-cache");
    },
  });

  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split("?")[0] ?? "/";
    if (isApiPath(path)) return reply.callNotFound();
    // A missing file (an old asset, a typo) is a 404, not the page under a script's name.
    if (/\.[A-Za-z0-9]+$/.test(path)) {
      return reply.code(404).type("text/plain; charset=utf-8").send("Not found.\n");
    }
    return reply.header("cache-control", "no-cache").type("text/html; charset=utf-8").send(index);
  };
  app.get("/", page);
  app.get("/*", page);
}
