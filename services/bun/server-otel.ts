// Reference service: Hono on Bun traced with @hono/otel (one server span per request, named after the route,
// with http.route), exported over OTLP/HTTP protobuf by the OpenTelemetry JS SDK's batch span processor.
import { SQL } from "bun";
import { Hono } from "hono";
// OTEL-SETUP-BEGIN
import { httpInstrumentationMiddleware } from "@hono/otel";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

// The 3.x JS SDK's BatchSpanProcessor no longer reads OTEL_BSP_*: pass the settings every stack gets.
const env = (key: string) => (process.env[key] ? Number(process.env[key]) : undefined);
const provider = new TracerProvider({
  resource: resourceFromAttributes({ "service.name": "bench-bun" }),
  spanProcessors: [new BatchSpanProcessor({
    exporter: new OTLPTraceExporter(),
    maxQueueSize: env("OTEL_BSP_MAX_QUEUE_SIZE"),
    maxExportBatchSize: env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
    scheduledDelayMillis: env("OTEL_BSP_SCHEDULE_DELAY"),
    exportTimeoutMillis: env("OTEL_BSP_EXPORT_TIMEOUT"),
  })],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(provider);
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => void provider.shutdown().finally(() => process.exit(0)));
}
// OTEL-SETUP-END

const BODY = { message: "hello", ok: true, items: [1, 2, 3] };
const port = Number(process.env.PORT ?? "8080");
// LISTEN_ADDRESS: where to listen (the harness's --hosts runs set the service host's address); loopback by default
const hostname = process.env.LISTEN_ADDRESS || "127.0.0.1";
// Bun's built-in PostgreSQL client connects lazily, on the first query: startup never includes a DB connect.
const url = process.env.DATABASE_URL;
const sql = url ? new SQL({ url, max: Number(process.env.DB_POOL_SIZE ?? "8") || 8 }) : undefined;

const app = new Hono();
app.use(httpInstrumentationMiddleware());
app.get("/health", (c) => c.text("ok"));
app.get("/json", (c) => c.json(BODY));
app.get("/db", async (c) => {
  if (!sql) return c.text("no database configured", 503);
  const id = 1 + Math.floor(Math.random() * 10000);
  const [row] = await sql`SELECT id, randomnumber FROM world WHERE id = ${id}`;
  return c.json({ id: row.id, randomNumber: row.randomnumber });
});

Bun.serve({ hostname, port, fetch: app.fetch });
