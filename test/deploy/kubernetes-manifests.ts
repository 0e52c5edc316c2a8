// Reads deploy/kubernetes/ for test/deploy/kubernetes.test.ts: every document
// of every YAML file, and the schema check of one Kubernetes object against the
// JSON schemas kubernetes-models ships (compiled ajv validators, no download).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { PROJECT_ROOT } from "../../dev/spawn-ts.js";

export const MANIFESTS_DIR = path.join(PROJECT_ROOT, "deploy", "kubernetes");

export interface ManifestDocument {
  /** The file's name in deploy/kubernetes/, and the document's place in it (0 for the first). */
  file: string;
  index: number;
  object: Record<string, unknown>;
}

/** The YAML files of deploy/kubernetes/, by name. */
export const manifestFiles = (): string[] =>
  readdirSync(MANIFESTS_DIR)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();

/** Every non-empty document of every YAML file; a YAML syntax error throws, naming the file. */
export function readManifests(): ManifestDocument[] {
  return manifestFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(MANIFESTS_DIR, file), "utf8")).flatMap((document, index) => {
      if (document.errors.length > 0) throw new Error(`${file}, document ${index}: ${document.errors[0]!.message}`);
      const object: unknown = document.toJS();
      if (object === null) return [];
      if (typeof object !== "object" || Array.isArray(object)) throw new Error(`${file}, document ${index}: not a mapping`);
      return [{ file, index, object: object as Record<string, unknown> }];
    }),
  );
}

type ModelClass = new (data: object) => { validate(): void };

/**
 * The object's problems against the Kubernetes schemas, or [] when it is valid.
 * kubernetes-models lays its classes out by apiVersion (`kubernetes-models/apps/v1`
 * exports `Deployment`), so the class is found from the object itself, and an
 * apiVersion or kind Kubernetes does not have is a problem too.
 */
export async function kubernetesSchemaProblems(object: Record<string, unknown>): Promise<string[]> {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return ["apiVersion and kind must be strings"];
  let exports: Record<string, unknown>;
  try {
    const specifier = `kubernetes-models/${apiVersion}`;
    exports = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  } catch {
    return [`no Kubernetes API group version "${apiVersion}"`];
  }
  const Model = exports[kind] as ModelClass | undefined;
  if (typeof Model !== "function") return [`no kind "${kind}" in ${apiVersion}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

/** An nginx size ("48m", "1g", "512k", "1048576") in bytes. */
export function nginxSizeBytes(size: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(size.trim());
  if (!match) throw new Error(`not an nginx size: ${size}`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Number(match[1]) * unit;
}
