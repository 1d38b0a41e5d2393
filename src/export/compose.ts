/**
 * The `compose` export: one `compose.yaml` (mode 0600, it holds the
 * environment) with a service per process type.
 *
 * Each service has `image` (default `APP:latest`), `working_dir` (the app
 * root, which the image must contain), `command: ["sh", "-c", COMMAND]`,
 * `environment` (the env values, `PORT` and `PS`), `restart: always`,
 * `user` if given, and `deploy.replicas` from the formation. Replicas share
 * one environment, so `PORT` is the type's base port and `PS` is the type
 * name. Compose expands `$VAR` everywhere in the file, so every `$` is
 * written `$$`. Logs stay with Docker (`docker compose logs`); `logDir` is
 * not used. The file has no top-level `name:`, which docker-compose 1.x
 * rejects; the project name comes from the directory or `-p`.
 *
 * Release phase, start order, readiness:
 * - The `release` service has `restart: "no"` and no replicas; every other
 *   service `depends_on` it with `condition: service_completed_successfully`,
 *   so `docker compose up` starts them only after it exited 0 (and fails
 *   if it did not).
 * - A service that starts after others `depends_on` them with
 *   `condition: service_healthy` when they have a probe Docker can run,
 *   else `service_started`.
 * - A `tcp`, `http` or `exec` probe becomes a `healthcheck` (`CMD-SHELL`,
 *   every 2 s, 60 s start period, then 3 failures make it unhealthy); the
 *   `tcp` and `http` checks need only `grep` and `curl` or `wget` in the
 *   image (see `probeCheck`). A `log` probe cannot be a healthcheck: a
 *   comment says so and its dependents wait only for it to start.
 *
 * `service_completed_successfully` needs docker-compose 1.29.0 or later
 * (1.28 rejects it) or Compose v2; checked with docker-compose 1.29.2.
 *
 * @module
 */
import {
  doubleDollars,
  type ExportFiles,
  type ExportFormat,
  type ExportOptions,
  groupByType,
  SECRET_MODE,
  sharedEnv,
} from "./_common.ts";
import { appName, imageName } from "./_names.ts";
import { type Phases, phases, probeCheck, RELEASE } from "./_phases.ts";
import { toYaml, type YamlValue } from "./_yaml.ts";

type _Obj = { [key: string]: YamlValue };

// A healthcheck for the type's probe, or undefined (none, or `log`).
function _healthcheck(
  plan: Phases,
  type: string,
  port: number,
): _Obj | undefined {
  const probe = plan.ready.get(type);
  if (probe === undefined) return undefined;
  // An exec probe is already a shell command: as is, its output shows in
  // `docker inspect`.
  const test = probe.kind === "exec" ? probe.command : probeCheck(probe, port);
  if (test === undefined) return undefined;
  return {
    test: ["CMD-SHELL", test],
    // Docker's default interval (30 s) would hold dependents that long.
    interval: "2s",
    timeout: "5s",
    retries: 3,
    // tend's default --ready-timeout.
    start_period: "60s",
  };
}

/**
 * The compose document as data, before `$` escaping and YAML, with the
 * notes on what Compose cannot express (for comments).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { composeDocument } from "./compose.ts";
 * const mk = (type: string, port: number) => ({ type, index: 1, name: `${type}.1`, command: "x", port });
 * const { document } = composeDocument({
 *   app: "shop", appRoot: "/srv/shop", env: {},
 *   instances: [mk("release", 5000), mk("web", 5000), mk("worker", 5100)],
 *   order: new Map([["worker", ["web"]]]),
 *   ready: new Map([["web", { kind: "http", path: "/up" }]]),
 * });
 * const services = document.services as Record<string, Record<string, unknown>>;
 * assert.equal(services.release.restart, "no");
 * assert.deepEqual(services.worker.depends_on, {
 *   web: { condition: "service_healthy" },
 *   release: { condition: "service_completed_successfully" },
 * });
 * ```
 */
export function composeDocument(
  options: ExportOptions,
): { document: _Obj; notes: string[] } {
  const app = appName(options.app);
  const plan = phases(options);
  const groups = groupByType(options.instances);
  // Known before any service is written: a dependent may come first.
  const checks = new Map<string, _Obj>();
  const notes: string[] = [];
  for (const group of groups) {
    const check = _healthcheck(plan, group.type, group.port);
    if (check) checks.set(group.type, check);
    else if (plan.ready.has(group.type)) {
      notes.push(
        `${group.type}: a log probe cannot be a healthcheck; what starts after it waits only for it to start.`,
      );
    }
  }
  const services: _Obj = {};
  for (const group of groups) {
    const isRelease = group.type === RELEASE;
    const environment: _Obj = Object.fromEntries(sharedEnv(options.env));
    environment.PORT = String(group.port);
    environment.PS = group.type;
    const deps = plan.after.get(group.type) ?? [];
    const check = checks.get(group.type);
    services[group.type] = {
      image: imageName(options, app),
      working_dir: options.appRoot,
      command: ["sh", "-c", group.command],
      environment,
      // The release phase runs once: never restarted, one container.
      restart: isRelease ? "no" : "always",
      ...(options.user === undefined ? {} : { user: options.user }),
      ...(isRelease ? {} : { deploy: { replicas: group.instances.length } }),
      ...(deps.length === 0 ? {} : {
        depends_on: Object.fromEntries(deps.map((dep) => [dep, {
          condition: dep === RELEASE
            ? "service_completed_successfully"
            : checks.has(dep)
            ? "service_healthy"
            : "service_started",
        }])),
      }),
      ...(check ? { healthcheck: check } : {}),
    };
  }
  if (plan.release) {
    notes.unshift(
      `${RELEASE} runs first, once; the other services start only if it exits 0.`,
    );
  }
  return { document: { services }, notes };
}

// Compose interpolates $VAR and ${VAR} in every string of the file.
function _escapeDollars(value: YamlValue): YamlValue {
  if (typeof value === "string") return doubleDollars(value);
  if (Array.isArray(value)) return value.map(_escapeDollars);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, _escapeDollars(v)]),
    );
  }
  return value;
}

function _render(options: ExportOptions): ExportFiles {
  const app = appName(options.app);
  const { document, notes } = composeDocument(options);
  const content =
    `# Generated by tend export for ${app}. Start: docker compose up -d\n` +
    notes.map((note) => `# ${note}\n`).join("") +
    toYaml(_escapeDollars(document));
  return new Map([["compose.yaml", { content, mode: SECRET_MODE }]]);
}

/**
 * The `compose` format (see the module notes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compose } from "./compose.ts";
 * const web = (index: number) =>
 *   ({ type: "web", index, name: `web.${index}`, command: "echo $PORT", port: 5000 });
 * const files = compose.render({
 *   app: "shop", appRoot: "/srv/shop", env: {}, instances: [web(1), web(2)],
 * });
 * assert.deepEqual([...files.keys()], ["compose.yaml"]);
 * const yaml = files.get("compose.yaml")!.content.split("\n");
 * assert.ok(yaml.includes('    command: ["sh", "-c", "echo $$PORT"]'));
 * assert.ok(yaml.includes("      replicas: 2"));
 * ```
 */
export const compose: ExportFormat = {
  name: "compose",
  templates: [],
  render: _render,
};
