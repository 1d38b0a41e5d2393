/**
 * The demo's worker: asks the web process for its greeting every
 * $INTERVAL_SECONDS, as a background job would, and stops on SIGTERM.
 */
import process from "node:process";

const url = process.env.WEB_URL ?? "http://127.0.0.1:5000/";
const interval = Number(process.env.INTERVAL_SECONDS ?? "2") * 1000;
let job = 0;

async function tick(): Promise<void> {
  job++;
  try {
    const res = await fetch(url);
    console.log(`job ${job}: ${(await res.text()).trim()}`);
  } catch (error) {
    console.log(
      `job ${job}: web not reachable yet (${(error as Error).message})`,
    );
  }
}

const timer = setInterval(tick, interval);
tick();
process.on("SIGTERM", () => {
  clearInterval(timer);
  console.log(`SIGTERM: stopping after ${job} job${job === 1 ? "" : "s"}`);
  process.exit(0);
});
