// Candidate: Bun.serve with no framework, no tracing (the previous baseline).
const BODY = JSON.stringify({ message: "hello", ok: true, items: [1, 2, 3] });
const port = Number(process.env.PORT ?? "8080");
// LISTEN_ADDRESS: where to listen (the harness's --hosts runs set the service host's address); loopback by default
const hostname = process.env.LISTEN_ADDRESS || "127.0.0.1";

Bun.serve({
  hostname,
  port,
  fetch(req: Request): Response {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/health") {
      return new Response("ok", { headers: { "content-type": "text/plain" } });
    }
    if (req.method === "GET" && path === "/json") {
      return new Response(BODY, { headers: { "content-type": "application/json" } });
    }
    return new Response("not found", { status: 404 });
  },
});
