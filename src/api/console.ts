import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyReply, FastifyRequest } from "fastify";
import { notFoundHandler } from "./problems.ts";
import type { App } from "./server.ts";

/** Where `npm start` builds the console (web/build.ts). */
export const CONSOLE_DIR = fileURLToPath(new URL("../../web/dist", import.meta.url));

/**
 * The staff console: hashed assets under /assets are cached for good; every other page address that is
 * not the API answers index.html, so a reloaded /cases/42 opens the console there (the router takes it).
 */
export async function consoleRoutes(app: App, dir: string) {
  const built = existsSync(`${dir}/index.html`);
  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      index: false,
      wildcard: false,
      globIgnore: ["**/.*"],
      // web/build.ts writes .br and .gz beside each file: sent as the browser accepts, never compressed per request.
      preCompressed: true,
      setHeaders: (reply, path) => {
        reply.header(
          "cache-control",
          path.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
        );
      },
    });
  }
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const page = (req.method === "GET" || req.method === "HEAD") && !/^\/api(\/|$)/.test(req.url);
    if (!page) return notFoundHandler(req, reply);
    if (!built)
      return reply
        .status(503)
        .type("text/plain; charset=utf-8")
        .send("The console is not built yet: run `npm start` (it builds web/ first).");
    return reply.header("cache-control", "no-cache").sendFile("index.html");
  });
}
