/**
 * The `kubernetes` export: one multi-document `APP.yaml` (mode 0600, it
 * holds a Secret) for `kubectl apply -f`.
 *
 * Documents, in order:
 * - ConfigMap `APP-env`: the env values whose names do not look secret
 *   (only if there are any).
 * - Secret `APP-secret` (`stringData`): the values whose names contain
 *   `KEY`, `SECRET`, `TOKEN` or `PASSWORD`, ignoring case (only if any).
 * - A Deployment `APP-TYPE` per process type: `replicas` from the formation,
 *   one container with `command: ["sh", "-c", COMMAND]`, `workingDir` (the
 *   app root, which the image must contain), `envFrom` the ConfigMap and
 *   Secret, `env` `PORT` (the type's base port) and `PS` (the type name,
 *   shared by all replicas), and a `containerPort` for the `web` type.
 * - A Service `APP-web` for a `web` type, port and target port `PORT`.
 *
 * Names are DNS-1123 labels: lowercase, `_` becomes `-`, and names over 63
 * characters are cut and suffixed with a hash. Two types that end up with
 * the same name are a TendError. Kubernetes expands `$(VAR)` and turns `$$`
 * into `$` in `command` and `env` values, so every `$` there is doubled.
 * `user` must be a numeric uid (`runAsUser`); `logDir` is not used (logs
 * stay with the cluster).
 *
 * @module
 */
import { TendError } from "../errors.ts";
import {
  doubleDollars,
  type ExportFiles,
  type ExportFormat,
  type ExportOptions,
  groupByType,
  SECRET_MODE,
  sharedEnv,
} from "./_common.ts";
import { appName, imageName, slug, typeName } from "./_names.ts";
import { toYaml, type YamlValue } from "./_yaml.ts";
import { isSecretName } from "../env.ts";

type _Obj = { [key: string]: YamlValue };

const _LABEL_MAX = 63;
const _HASH_LENGTH = 8;

// FNV-1a: a short, stable suffix that keeps truncated names distinct.
function _hash(text: string): string {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(_HASH_LENGTH, "0");
}

// A DNS-1123 label (at most 63 of `[a-z0-9-]`, alphanumeric at both ends);
// a long name is cut and gets a hash of the original, to stay distinct.
function _dnsLabel(text: string): string {
  const label = slug(text) || "x";
  if (label.length <= _LABEL_MAX) return label;
  const kept = label.slice(0, _LABEL_MAX - 1 - _HASH_LENGTH);
  return `${kept.replace(/-+$/, "")}-${_hash(text)}`;
}

/**
 * Builds the documents as data, in the order they are written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kubernetesDocuments } from "./kubernetes.ts";
 * const docs = kubernetesDocuments({
 *   app: "shop", appRoot: "/srv/shop", env: { API_TOKEN: "t", MODE: "prod" },
 *   instances: [{ type: "web", index: 1, name: "web.1", command: "serve", port: 5000 }],
 * });
 * assert.deepEqual(docs.map((d) => d.kind), ["ConfigMap", "Secret", "Deployment", "Service"]);
 * ```
 */
export function kubernetesDocuments(
  options: ExportOptions,
): { [key: string]: YamlValue }[] {
  const app = appName(options.app);
  let runAsUser: number | undefined;
  if (options.user !== undefined) {
    if (!/^\d+$/.test(options.user)) {
      throw new TendError({
        message: `kubernetes needs a numeric user id for the user, got ${
          JSON.stringify(options.user)
        }`,
      });
    }
    runAsUser = Number(options.user);
  }
  const plain: _Obj = {};
  const secret: _Obj = {};
  for (const [key, value] of sharedEnv(options.env)) {
    (isSecretName(key) ? secret : plain)[key] = value;
  }
  const docs: _Obj[] = [];
  const envFrom: YamlValue[] = [];
  const managed = { "app.kubernetes.io/managed-by": "tend" };
  const appLabels = { "app.kubernetes.io/name": app, ...managed };
  if (Object.keys(plain).length) {
    const name = _dnsLabel(`${app}-env`);
    docs.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, labels: appLabels },
      data: plain,
    });
    envFrom.push({ configMapRef: { name } });
  }
  if (Object.keys(secret).length) {
    const name = _dnsLabel(`${app}-secret`);
    docs.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, labels: appLabels },
      type: "Opaque",
      stringData: secret,
    });
    envFrom.push({ secretRef: { name } });
  }
  const seen = new Map<string, string>();
  const services: _Obj[] = [];
  for (const group of groupByType(options.instances)) {
    const component = _dnsLabel(group.type);
    const name = _dnsLabel(typeName(app, group.type));
    const other = seen.get(name);
    if (other !== undefined) {
      throw new TendError({
        message:
          `process types "${other}" and "${group.type}" both become the kubernetes name "${name}"`,
      });
    }
    seen.set(name, group.type);
    const selector = {
      "app.kubernetes.io/name": app,
      "app.kubernetes.io/component": component,
    };
    const isWeb = group.type === "web";
    const container: _Obj = {
      name: component,
      image: imageName(options, app),
      workingDir: options.appRoot,
      // $(VAR) expansion and $$ -> $ apply to command and env values.
      command: ["sh", "-c", doubleDollars(group.command)],
      ...(envFrom.length ? { envFrom } : {}),
      env: [
        { name: "PORT", value: String(group.port) },
        { name: "PS", value: doubleDollars(group.type) },
      ],
      ...(isWeb
        ? { ports: [{ name: "http", containerPort: group.port }] }
        : {}),
    };
    docs.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, labels: { ...selector, ...managed } },
      spec: {
        replicas: group.instances.length,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: selector },
          spec: {
            ...(runAsUser === undefined
              ? {}
              : { securityContext: { runAsUser } }),
            containers: [container],
          },
        },
      },
    });
    if (isWeb) {
      services.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, labels: { ...selector, ...managed } },
        spec: {
          selector,
          ports: [{
            name: "http",
            protocol: "TCP",
            port: group.port,
            targetPort: group.port,
          }],
        },
      });
    }
  }
  return [...docs, ...services];
}

function _render(options: ExportOptions): ExportFiles {
  const app = appName(options.app);
  const content =
    `# Generated by tend export. Apply: kubectl apply -f ${app}.yaml\n` +
    kubernetesDocuments(options).map((doc) => `---\n${toYaml(doc)}`).join("");
  return new Map([[`${app}.yaml`, { content, mode: SECRET_MODE }]]);
}

/**
 * The `kubernetes` format (see the module notes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kubernetes } from "./kubernetes.ts";
 * const files = kubernetes.render({
 *   app: "shop", appRoot: "/srv/shop", env: { API_TOKEN: "t", MODE: "prod" },
 *   instances: [
 *     { type: "web", index: 1, name: "web.1", command: "echo $PORT", port: 5000 },
 *     { type: "Back_Worker", index: 1, name: "Back_Worker.1", command: "work", port: 5100 },
 *   ],
 * });
 * assert.deepEqual([...files.keys()], ["shop.yaml"]);
 * const yaml = files.get("shop.yaml")!.content;
 * assert.deepEqual(yaml.match(/^kind: .*$/gm), [
 *   'kind: "ConfigMap"', 'kind: "Secret"', 'kind: "Deployment"',
 *   'kind: "Deployment"', 'kind: "Service"',
 * ]);
 * assert.match(yaml, /^  name: "shop-back-worker"$/m);
 * assert.match(yaml, / command: \["sh", "-c", "echo \$\$PORT"\]$/m);
 * ```
 */
export const kubernetes: ExportFormat = {
  name: "kubernetes",
  templates: [],
  render: _render,
};
