/**
 * The demo's web process: a twelve-factor HTTP service. It binds to $PORT,
 * reads its settings from the environment, and fails at start-up when one
 * is missing rather than at the first request.
 */
import { createServer } from "node:http";
import process from "node:process";

function setting(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`missing setting ${name}: copy examples/demo/.env or set it`);
    process.exit(1);
  }
  return value;
}

const port = Number(setting("PORT"));
const greeting = setting("GREETING");
const host = process.env.HOST ?? "127.0.0.1";
let served = 0;

const server = createServer((req, res) => {
  served++;
  console.log(`${req.method} ${req.url} -> 200 (${served} served)`);
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  res.end(`${greeting} from ${process.env.PS ?? "web"}\n`);
});

server.listen(
  port,
  host,
  () => console.log(`listening on http://${host}:${port}`),
);

// Finish in-flight requests on SIGTERM, as a process manager expects.
process.on("SIGTERM", () => {
  console.log("SIGTERM: closing");
  server.close(() => process.exit(0));
});
