// deploy/kubernetes/ checked offline, without a cluster: every document of every
// YAML file against the Kubernetes schemas (kubernetes-models ships them), the
// kustomization against its own shape, and the manifests' figures against what
// src/config.ts makes of their ConfigMap: the shutdown budget, the Ingress's
// body size and timeouts, the port, the probes, the shared volume.
import { Deployment } from "kubernetes-models/apps/v1";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import { z } from "zod";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "../../src/config.js";
import { MAX_FIELD_BYTES, MAX_FILES_PER_REQUEST } from "../../src/http/graphql-uploads.js";
import { describe, expect, test } from "../support/fixtures.js";
import { kubernetesSchemaProblems, manifestFiles, nginxSizeBytes, readManifests } from "./kubernetes-manifests.js";

const documents = readManifests();
const KUSTOMIZATION = "Kustomization";
const kubernetesObjects = documents.filter(({ object }) => object.kind !== KUSTOMIZATION);

/** The one document of this kind (and, for the Secret, of this file). */
function only(kind: string, file?: string): Record<string, unknown> {
  const found = documents.filter(({ object, file: from }) => object.kind === kind && (file === undefined || from === file));
  if (found.length !== 1) throw new Error(`expected one ${kind} in deploy/kubernetes/, found ${found.length}`);
  return found[0]!.object;
}

const deployment = new Deployment(only("Deployment"));
const configMap = new ConfigMap(only("ConfigMap"));
const secret = new Secret(only("Secret", "secret.example.yaml"));
const service = new Service(only("Service"));
const ingress = new Ingress(only("Ingress"));
const claim = new PersistentVolumeClaim(only("PersistentVolumeClaim"));
const budget = new PodDisruptionBudget(only("PodDisruptionBudget"));
const pod = deployment.spec!.template.spec!;
const container = pod.containers[0]!;
const configMapEnv = configMap.data ?? {};
const config = loadConfig(configMapEnv);
const SECRET_VARIABLES = ["FASEEH_API_KEY", "PREVIEW_URL_SECRET", "DATABASE_URL", "METRICS_TOKEN"];

describe("every manifest in deploy/kubernetes/", () => {
  test("is read from each YAML file, every document of it", () => {
    expect(new Set(documents.map(({ file }) => file))).toEqual(new Set(manifestFiles()));
    expect(kubernetesObjects.length).toBeGreaterThanOrEqual(7);
  });

  test.for(kubernetesObjects.map(({ file, index, object }) => [`${file}#${index} (${String(object.kind)})`, object] as const))(
    "%s is valid against the Kubernetes schemas",
    async ([, object]) => {
      expect(await kubernetesSchemaProblems(object)).toEqual([]);
    },
  );

  test("would be refused when wrong: a string where an integer belongs, an unknown kind or apiVersion", async () => {
    const original = only("Deployment");
    const broken = structuredClone(original) as { spec: { replicas: unknown } };
    broken.spec.replicas = "2";
    expect(await kubernetesSchemaProblems(broken)).toEqual([expect.stringMatching(/spec\/replicas must be integer/)]);
    expect(await kubernetesSchemaProblems({ ...original, kind: "Deploymnet" })).toEqual(['no kind "Deploymnet" in apps/v1']);
    expect(await kubernetesSchemaProblems({ ...original, apiVersion: "apps/v2" })).toEqual([
      'no Kubernetes API group version "apps/v2"',
    ]);
  });
});

const kustomizationShape = z.strictObject({
  apiVersion: z.literal("kustomize.config.k8s.io/v1beta1"),
  kind: z.literal(KUSTOMIZATION),
  resources: z.array(z.string()).min(1),
  images: z.array(z.strictObject({ name: z.string(), newName: z.string().optional(), newTag: z.string().optional() })),
});

describe("the kustomization", () => {
  const kustomization = kustomizationShape.parse(only(KUSTOMIZATION));

  test("applies every manifest but the example Secret, which holds placeholders", () => {
    const expected = manifestFiles().filter((file) => file !== "kustomization.yaml" && file !== "secret.example.yaml");
    expect([...kustomization.resources].sort()).toEqual(expected);
  });

  test("names the Deployment's image", () => {
    expect(kustomization.images.map(({ name }) => name)).toEqual([container.image!.replace(/:[^:/]+$/, "")]);
  });
});

describe("the ConfigMap and the Secret", () => {
  test("name only variables the gateway reads, which it accepts", () => {
    const unknown = [...Object.keys(configMapEnv), ...Object.keys(secret.stringData ?? {})].filter(
      (name) => !CONFIG_VARIABLES.has(name),
    );
    expect(unknown).toEqual([]);
    expect(config.env).toBe("production");
  });

  test("state config.ts's own defaults for every figure the manifests derive from", () => {
    const deploymentChoices = ["NODE_ENV", "HOST", "PORT", "PUBLIC_URL", "PREVIEW_DIR", "RECOVERY_DIR", "LOG_LEVEL"];
    const choicesOnly = Object.fromEntries(Object.entries(configMapEnv).filter(([name]) => deploymentChoices.includes(name)));
    expect(config).toEqual(loadConfig(choicesOnly));
  });

  test("keep the secrets out of the ConfigMap: the Deployment reads them from the Secret", () => {
    expect(Object.keys(configMapEnv).filter((name) => SECRET_VARIABLES.includes(name))).toEqual([]);
    const fromSecret = (container.env ?? []).filter(
      (variable) => variable.valueFrom?.secretKeyRef?.name === secret.metadata!.name,
    );
    expect(fromSecret.map(({ name }) => name).sort()).toEqual([...SECRET_VARIABLES].sort());
    const required = fromSecret.filter((variable) => variable.valueFrom!.secretKeyRef!.optional !== true);
    expect(required.map(({ name }) => name).sort()).toEqual(["DATABASE_URL", "FASEEH_API_KEY", "PREVIEW_URL_SECRET"]);
    expect(Object.keys(secret.stringData ?? {}).sort()).toEqual(required.map(({ name }) => name).sort());
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata!.name } }]);
  });

  test("make a gateway left with the example Secret's placeholders refuse to start, naming PREVIEW_URL_SECRET", () => {
    const placeholders = { ...configMapEnv, ...secret.stringData };
    expect(() => loadConfig(placeholders)).toThrow(ConfigError);
    expect(() => loadConfig(placeholders)).toThrow(/PREVIEW_URL_SECRET: must be at least 32 characters/);
    expect(loadConfig({ ...placeholders, PREVIEW_URL_SECRET: "0123456789abcdef".repeat(4) }).database.kind).toBe("postgres");
  });
});

/** nginx.ingress.kubernetes.io/<name>, which must be set. */
function nginxAnnotation(name: string): string {
  const value = ingress.metadata?.annotations?.[`nginx.ingress.kubernetes.io/${name}`];
  expect(value, name).toBeTypeOf("string");
  return value!;
}

describe("the Deployment's figures against the config", () => {
  /** src/main.ts exits by itself this long after both shutdown budgets, whatever is still running. */
  const MAIN_HARD_EXIT_MARGIN_MS = 5_000;

  test("gives a shutdown its whole budget: preStop pause + clone grace + grace + the gateway's own margin", () => {
    const preStop = container.lifecycle?.preStop;
    const pauseSeconds = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command?.join(" ").match(/^sleep (\d+)$/)?.[1]);
    expect(pauseSeconds).toBeGreaterThan(0);
    const neededMs = pauseSeconds * 1000 + config.shutdownCloneGraceMs + config.shutdownGraceMs + MAIN_HARD_EXIT_MARGIN_MS;
    expect(config.shutdownCloneGraceMs).toBe(config.upstream.timeoutMs);
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(neededMs);
  });

  test("listens where the config says, and the Service sends there", () => {
    const port = container.ports!.find(({ name }) => name === "http")!;
    expect(port.containerPort).toBe(config.port);
    expect(service.spec!.ports!.map(({ targetPort }) => targetPort)).toEqual(["http"]);
    expect(service.spec!.selector).toEqual(deployment.spec!.selector.matchLabels);
    expect(deployment.spec!.template.metadata!.labels).toMatchObject(deployment.spec!.selector.matchLabels!);
  });

  test("probes liveness and startup at /healthz and readiness at /readyz, waiting out the boot", () => {
    const probes = [container.startupProbe, container.livenessProbe, container.readinessProbe];
    expect(probes.map((probe) => [probe?.httpGet?.path, probe?.httpGet?.port])).toEqual([
      ["/healthz", "http"],
      ["/healthz", "http"],
      ["/readyz", "http"],
    ]);
    // The boot recovery pass may ask Faseeh for its voice list once; two minutes more for migrations.
    const startup = container.startupProbe!;
    const bootFaseehCallMs = config.upstream.connectTimeoutMs + config.upstream.timeoutMs;
    expect(startup.failureThreshold! * startup.periodSeconds! * 1000).toBeGreaterThanOrEqual(bootFaseehCallMs + 120_000);
    // /readyz pings the database for at most 2 s before it answers 503.
    expect(container.readinessProbe!.timeoutSeconds).toBeGreaterThan(2);
  });

  test("runs two replicas, and the disruption budget lets a drain evict even a single one", () => {
    expect(deployment.spec!.replicas).toBe(2);
    expect(budget.spec!.minAvailable).toBeUndefined();
    expect(budget.spec!.maxUnavailable).toBeGreaterThanOrEqual(1);
    expect(budget.spec!.selector!.matchLabels).toEqual(deployment.spec!.selector.matchLabels);
  });

  test("mounts one ReadWriteMany claim that holds PREVIEW_DIR and RECOVERY_DIR", () => {
    expect(claim.spec!.accessModes).toEqual(["ReadWriteMany"]);
    const volume = pod.volumes!.find((candidate) => candidate.persistentVolumeClaim?.claimName === claim.metadata!.name)!;
    const mounts = container.volumeMounts!.filter(({ name }) => name === volume.name);
    expect(mounts).toHaveLength(1);
    const under = `${mounts[0]!.mountPath}/`;
    expect([config.previews.dir, config.recovery.dir].filter((dir) => !dir.startsWith(under))).toEqual([]);
  });
});

describe("the Ingress's annotations against the config", () => {
  test("let the largest request through: two files of MAX_UPLOAD_BYTES and the multipart fields, unbuffered", () => {
    const largestRequest = MAX_FILES_PER_REQUEST * config.uploads.maxBytes + 2 * MAX_FIELD_BYTES;
    expect(nginxSizeBytes(nginxAnnotation("proxy-body-size"))).toBeGreaterThan(largestRequest);
    expect(nginxAnnotation("proxy-request-buffering")).toBe("off");
  });

  test("wait for a clone's answer longer than its queue and every attempt, and for its upload longer than its deadline", () => {
    const { maxAttempts, connectTimeoutMs, timeoutMs, retryMaxWaitMs, queueTimeoutMs } = config.upstream;
    // A small upload is all sent before its clone has a Faseeh slot: the wait for the answer starts with the queue.
    const longestAnswerMs = queueTimeoutMs + maxAttempts * (connectTimeoutMs + timeoutMs) + (maxAttempts - 1) * retryMaxWaitMs;
    expect(longestAnswerMs).toBe(260_000); // the figure ingress.yaml's comment works out
    expect(Number(nginxAnnotation("proxy-read-timeout")) * 1000).toBeGreaterThan(longestAnswerMs);
    const sendMs = Number(nginxAnnotation("proxy-send-timeout")) * 1000;
    // The gateway, not nginx, ends a slow or stalled upload, and a wait for a Faseeh slot.
    expect(sendMs).toBeGreaterThan(Math.max(config.uploads.deadlineMs, config.uploads.idleTimeoutMs, queueTimeoutMs));
  });

  test("serves PUBLIC_URL's host through the Service's port", () => {
    const rules = ingress.spec!.rules!;
    expect(rules.map(({ host }) => `https://${host!}`)).toEqual([config.publicUrl]);
    const backend = rules[0]!.http!.paths[0]!.backend.service!;
    expect(backend.name).toBe(service.metadata!.name);
    expect(service.spec!.ports!.map(({ name }) => name)).toContain(backend.port!.name);
  });
});

test("the probes' paths are the gateway's own: /healthz and /readyz answer 200", async ({ gateway }) => {
  const paths = [container.livenessProbe!.httpGet!.path!, container.readinessProbe!.httpGet!.path!];
  const statuses = await Promise.all(paths.map(async (path) => (await fetch(`${gateway.url}${path}`)).status));
  expect(statuses).toEqual([200, 200]);
});
