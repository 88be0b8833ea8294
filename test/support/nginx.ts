/**
 * Debian's nginx serving a folder for a test: started on a free loopback port with a
 * configuration the test writes into a temporary folder (pid file, logs and temp paths there too),
 * in the foreground as one process (`daemon off; master_process off;`), so stopping it is killing
 * that process. Under CI=true a missing nginx fails the importing test file instead of skipping.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./cli.js";

export const NGINX = process.env.CROSSCHECK_NGINX ?? "/usr/sbin/nginx";
export const nginxAvailable = existsSync(NGINX);

if (!nginxAvailable && process.env.CI === "true") {
  throw new Error(
    `nginx is not installed at ${NGINX}: install the Debian package nginx (or nginx-light). CI=true, so the static tiles test must run.`,
  );
}

export interface Nginx {
  /** http://127.0.0.1:PORT — the folder's root. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves `root` the way a C2SP log's static host should: the checkpoint as text/plain with a
 * short cache, full tiles immutable, partial ones for a minute, entry bundles gzipped.
 */
export async function startNginx(root: string): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), "crosscheck-nginx-"));
  mkdirSync(join(dir, "temp"));
  const port = await freePort();
  const config = join(dir, "nginx.conf");
  writeFileSync(
    config,
    `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${join(dir, "temp", "body")};
  proxy_temp_path ${join(dir, "temp", "proxy")};
  fastcgi_temp_path ${join(dir, "temp", "fastcgi")};
  uwsgi_temp_path ${join(dir, "temp", "uwsgi")};
  scgi_temp_path ${join(dir, "temp", "scgi")};
  default_type application/octet-stream;
  gzip on;
  gzip_types application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location = /checkpoint {
      default_type "text/plain; charset=utf-8";
      add_header Cache-Control "public, max-age=2" always;
    }
    location ~ "\\.p/[0-9]+$" {
      add_header Cache-Control "public, max-age=60" always;
    }
    location /tile/ {
      add_header Cache-Control "public, max-age=31536000, immutable" always;
    }
    location ~ "/\\." { return 404; }
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ["-c", config, "-p", dir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    try {
      await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
