/**
 * One instance per process. Next.js loads a shared module once per bundle (instrumentation and
 * each route), so module-level state would be duplicated; a registry on `globalThis` under a
 * registered symbol is shared by all of them.
 */
export function processSingleton<T>(name: string, create: () => T): T {
  const key = Symbol.for(`gatehouse.api.${name}`);
  const registry = globalThis as Record<symbol, unknown>;
  if (!(key in registry)) registry[key] = create();
  return registry[key] as T;
}

/** Forgets a singleton, so the next use creates it again (after a failed start, say). */
export function forgetProcessSingleton(name: string): void {
  delete (globalThis as Record<symbol, unknown>)[Symbol.for(`gatehouse.api.${name}`)];
}
