// Reference service: Hono on Bun, no tracing. GET /health, GET /json, GET /db (TechEmpower single query).
import { SQL } from "bun";
import { Hono } from "hono";

const BODY = { message: "hello", ok: true, items: [1, 2, 3] };
const port = Number(process.env.PORT ?? "8080");
// LISTEN_ADDRESS: where to listen (the harness's --hosts runs set the service host's address); loopback by default
const hostname = process.env.LISTEN_ADDRESS || "127.0.0.1";
// Bun's built-in PostgreSQL client connects lazily, on the first query: startup never includes a DB connect.
const url = process.env.DATABASE_URL;
const sql = url ? new SQL({ url, max: Number(process.env.DB_POOL_SIZE ?? "8") || 8 }) : undefined;

const app = new Hono();
app.get("/health", (c) => c.text("ok"));
app.get("/json", (c) => c.json(BODY));
app.get("/db", async (c) => {
  if (!sql) return c.text("no database configured", 503);
  const id = 1 + Math.floor(Math.random() * 10000);
  const [row] = await sql`SELECT id, randomnumber FROM world WHERE id = ${id}`;
  return c.json({ id: row.id, randomNumber: row.randomnumber });
});

Bun.serve({ hostname, port, fetch: app.fetch });
