// Candidate: Elysia on Bun, no tracing.
import { Elysia } from "elysia";

const BODY = { message: "hello", ok: true, items: [1, 2, 3] };
const port = Number(process.env.PORT ?? "8080");
// LISTEN_ADDRESS: where to listen (the harness's --hosts runs set the service host's address); loopback by default
const hostname = process.env.LISTEN_ADDRESS || "127.0.0.1";

new Elysia()
  .get("/health", () => "ok")
  .get("/json", () => BODY)
  .listen({ hostname, port });
