/**
 * How exports name things: the app name every name starts with, the
 * `APP-TYPE` and `APP-TYPE-N` names of types and instances, log paths, and
 * the container image. One rule each, so that the formats agree (a
 * supervisord program and a runit service for the same instance have the
 * same name).
 *
 * @module
 */
import type { Instance } from "../formation.ts";
import type { ExportOptions } from "./_common.ts";

/**
 * Lowercases text to words of `[a-z0-9]` joined by single dashes: the shape
 * of every name an export makes up (units, programs, resources).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slug } from "./_names.ts";
 * assert.equal(slug("--Back_Worker 2!"), "back-worker-2");
 * assert.equal(slug("_"), "");
 * ```
 */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

const _APP_NAME_MAX = 40;

/**
 * Sanitizes an app name into a lowercase DNS-1123 label that is also a safe
 * systemd unit, supervisord program and file name prefix: a {@linkcode slug}
 * starting with a letter, at most 40 characters, `app` when nothing is left.
 * Kubernetes needs the leading letter (Service names), and one rule for
 * every format keeps exported names predictable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appName } from "./_names.ts";
 * assert.equal(appName("My App_2!"), "my-app-2");
 * assert.equal(appName("2048"), "app-2048");
 * assert.equal(appName("!!!"), "app");
 * ```
 */
export function appName(app: string): string {
  let name = slug(app);
  if (name === "") return "app";
  if (!/^[a-z]/.test(name)) name = `app-${name}`;
  return name.slice(0, _APP_NAME_MAX).replace(/-+$/, "");
}

/**
 * The name of a process type's target or resource: `APP-TYPE`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { typeName } from "./_names.ts";
 * assert.equal(typeName("shop", "web"), "shop-web");
 * ```
 */
export function typeName(app: string, type: string): string {
  return `${app}-${type}`;
}

/**
 * The name of one instance's unit, program, service directory or label:
 * `APP-TYPE-N`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { instanceName } from "./_names.ts";
 * const web2 = { type: "web", index: 2, name: "web.2", command: "x", port: 5001 };
 * assert.equal(instanceName("shop", web2), "shop-web-2");
 * ```
 */
export function instanceName(app: string, instance: Instance): string {
  return `${typeName(app, instance.type)}-${instance.index}`;
}

/**
 * A directory path without its trailing slash, ready to have `/NAME`
 * appended.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trimSlash } from "./_names.ts";
 * assert.equal(trimSlash("/var/log/shop/"), "/var/log/shop");
 * ```
 */
export function trimSlash(path: string): string {
  return path.replace(/\/$/, "");
}

/**
 * Where the formats that write log files put them: `logDir` (`-l`), else
 * `/var/log/APP`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logDirectory } from "./_names.ts";
 * const options = { app: "Shop", appRoot: "/srv/shop", instances: [], env: {} };
 * assert.equal(logDirectory(options, "shop"), "/var/log/shop");
 * assert.equal(logDirectory({ ...options, logDir: "/logs/" }, "shop"), "/logs");
 * ```
 */
export function logDirectory(options: ExportOptions, app: string): string {
  return trimSlash(options.logDir ?? `/var/log/${app}`);
}

/**
 * One instance's log in a log directory, `LOGDIR/TYPE-N`: the formats add
 * `.log` (and `.error.log`), runit uses it as svlogd's directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logPath } from "./_names.ts";
 * const web2 = { type: "web", index: 2, name: "web.2", command: "x", port: 5001 };
 * assert.equal(logPath("/var/log/shop", web2), "/var/log/shop/web-2");
 * ```
 */
export function logPath(logDir: string, instance: Instance): string {
  return `${logDir}/${instance.type}-${instance.index}`;
}

/**
 * The container image for `compose` and `kubernetes`: `image`, else
 * `APP:latest`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { imageName } from "./_names.ts";
 * const options = { app: "Shop", appRoot: "/srv/shop", instances: [], env: {} };
 * assert.equal(imageName(options, "shop"), "shop:latest");
 * ```
 */
export function imageName(options: ExportOptions, app: string): string {
  return options.image ?? `${app}:latest`;
}
