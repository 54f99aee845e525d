// Candidate: Elysia on Bun, no tracing.
import { Elysia } from "elysia";

const BODY = { message: "hello", ok: true, items: [1, 2, 3] };
const port = Number(process.env.PORT ?? "8080");

new Elysia()
  .get("/health", () => "ok")
  .get("/json", () => BODY)
  .listen({ hostname: "127.0.0.1", port });
