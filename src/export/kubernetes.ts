/**
 * The `kubernetes` export: one multi-document `APP.yaml` (mode 0600, it
 * holds a Secret) for `kubectl apply -f`.
 *
 * Documents, in order:
 * - ConfigMap `APP-env`: the env values whose names do not look secret
 *   (only if there are any).
 * - Secret `APP-secret` (`stringData`): the values whose names contain
 *   `KEY`, `SECRET`, `TOKEN` or `PASSWORD`, ignoring case (only if any).
 * - A Job `APP-release` for a `release` type (below), with the same
 *   container as a Deployment's.
 * - A Deployment `APP-TYPE` per other process type: `replicas` from the formation,
 *   one container with `command: ["sh", "-c", COMMAND]`, `workingDir` (the
 *   app root, which the image must contain), `envFrom` the ConfigMap and
 *   Secret, `env` `PORT` (the type's base port) and `PS` (the type name,
 *   shared by all replicas), and a `containerPort` for the `web` type.
 * - A Service `APP-web` for a `web` type, port and target port `PORT`.
 *
 * Release phase, start order, readiness:
 * - `release` is a Job `APP-release` (`restartPolicy: Never`,
 *   `backoffLimit: 0`), not a Deployment: it runs once per apply. Not an
 *   init container, which would run before every start of every pod of
 *   every replica, so a migration per pod and per crash. Kubernetes starts
 *   every object of a file at once and a Job's pod template cannot change,
 *   so the file's header gives the commands that delete the old Job, apply
 *   the config and the Job, wait for it to complete, then apply the rest
 *   (Helm users make it a `pre-upgrade` hook instead).
 * - A probe becomes a `readinessProbe` (every 5 s; gates Service traffic)
 *   and a `startupProbe` (every 2 s, 30 tries: tend's 60 s ready timeout,
 *   then the container is restarted): `tcpSocket` or `httpGet` on the
 *   port (the kubelet connects to the pod IP, so the process must listen
 *   on it, not only on 127.0.0.1), `exec` for `exec` and for a `tcp` probe
 *   of another host (resolved in the pod, not on the node). A `log` probe
 *   has no equivalent: no probe, and a header comment says so.
 * - Start order has no equivalent between Deployments; the header says
 *   what tend would wait for. Readiness keeps traffic away until a pod is
 *   ready, and a process that needs another must retry (its pod restarts
 *   with back-off). No init container waits instead: only `web` has a
 *   Service to wait on, it would need a tool in the image, and it would
 *   keep pods down whenever the dependency is.
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
import {
  isLocalTcp,
  type Phases,
  phases,
  probeCheck,
  RELEASE,
} from "./_phases.ts";
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

// The probe's action (tcpSocket, httpGet or exec), or undefined for `log`.
function _action(plan: Phases, type: string, port: number): _Obj | undefined {
  const probe = plan.ready.get(type);
  switch (probe?.kind) {
    case "tcp":
      if (isLocalTcp(probe)) {
        return { tcpSocket: { port: probe.port ?? port } };
      }
      // The kubelet would connect from the node, where the pod's names
      // (Services, DNS search paths) may not resolve.
      return {
        exec: {
          command: ["sh", "-c", doubleDollars(probeCheck(probe, port)!)],
        },
      };
    case "http":
      return { httpGet: { path: probe.path, port } };
    case "exec":
      // The kubelet expands $(VAR) in exec probes too.
      return { exec: { command: ["sh", "-c", doubleDollars(probe.command)] } };
    default:
      return undefined;
  }
}

// readinessProbe and startupProbe for the type, when it has a probe the
// kubelet can run (see the module notes for the timings).
function _probes(plan: Phases, type: string, port: number): _Obj {
  const action = _action(plan, type, port);
  if (action === undefined) return {};
  return {
    readinessProbe: {
      ...action,
      periodSeconds: 5,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
    startupProbe: {
      ...action,
      periodSeconds: 2,
      timeoutSeconds: 5,
      failureThreshold: 30,
    },
  };
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
 *   instances: [
 *     { type: "web", index: 1, name: "web.1", command: "serve", port: 5000 },
 *     { type: "release", index: 1, name: "release.1", command: "migrate", port: 5000 },
 *   ],
 *   ready: new Map([["web", { kind: "http", path: "/up" }]]),
 * });
 * assert.deepEqual(docs.map((d) => d.kind), ["ConfigMap", "Secret", "Job", "Deployment", "Service"]);
 * const web = docs[3] as { spec: { template: { spec: { containers: { readinessProbe?: unknown }[] } } } };
 * assert.deepEqual(web.spec.template.spec.containers[0].readinessProbe, {
 *   httpGet: { path: "/up", port: 5000 }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3,
 * });
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
  const plan = phases(options);
  const seen = new Map<string, string>();
  // Written in this order: what the release Job needs, the Job, then the
  // rest, so that a plain apply at least creates the Job first.
  const jobs: _Obj[] = [];
  const deployments: _Obj[] = [];
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
      ..._probes(plan, group.type, group.port),
    };
    const podSpec: _Obj = {
      ...(runAsUser === undefined ? {} : { securityContext: { runAsUser } }),
      containers: [container],
    };
    if (group.type === RELEASE) {
      // Once per apply, never retried: a failed migration is for a human.
      jobs.push({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name, labels: { ...selector, ...managed } },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: selector },
            spec: { restartPolicy: "Never", ...podSpec },
          },
        },
      });
      continue;
    }
    deployments.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, labels: { ...selector, ...managed } },
      spec: {
        replicas: group.instances.length,
        selector: { matchLabels: selector },
        template: { metadata: { labels: selector }, spec: podSpec },
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
  return [...docs, ...jobs, ...deployments, ...services];
}

// Header comments: how to run the release first, and what tend would do
// that the documents cannot (order, log probes). Type names are safe in a
// comment: [A-Za-z0-9_-].
function _notes(options: ExportOptions, app: string): string[] {
  const plan = phases(options);
  const file = `${app}.yaml`;
  const notes: string[] = [];
  if (plan.release) {
    const job = _dnsLabel(typeName(app, RELEASE));
    const rest = [...plan.after.keys()].filter((t) => t !== RELEASE)
      .map((t) => `app.kubernetes.io/component!=${_dnsLabel(t)}`);
    notes.push(
      `The release Job runs once. Kubernetes starts every object at once, and a`,
      `Job cannot be changed, only replaced. To release first and start the new`,
      `version only if the release succeeded:`,
      `  kubectl delete job ${job} --ignore-not-found`,
      // != also selects what has no component label: the ConfigMap and
      // Secret the Job reads.
      `  kubectl apply -f ${file}${
        rest.length ? ` -l '${rest.join(",")}'` : ""
      }`,
      `  kubectl wait --for=condition=complete --timeout=600s job/${job}`,
      `  kubectl apply -f ${file}`,
    );
  }
  for (const [type, deps] of plan.after) {
    const declared = deps.filter((d) => d !== RELEASE);
    if (declared.length) {
      notes.push(
        `${type} starts after ${
          declared.join(", ")
        } under tend; Deployments have no order, so it must retry until they answer.`,
      );
    }
  }
  for (const [type, probe] of plan.ready) {
    if (probe.kind === "log") {
      notes.push(
        `${type}: a log probe has no Kubernetes equivalent; no probe is set.`,
      );
    }
  }
  return notes;
}

function _render(options: ExportOptions): ExportFiles {
  const app = appName(options.app);
  const content =
    `# Generated by tend export. Apply: kubectl apply -f ${app}.yaml\n` +
    _notes(options, app).map((line) => `# ${line}\n`).join("") +
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
