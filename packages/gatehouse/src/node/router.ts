import type { RouteSet } from '../pipeline/route.js';

type Segment =
  | { readonly kind: 'static'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'rest'; readonly name: string };

interface CompiledRoute {
  readonly routes: RouteSet;
  readonly segments: readonly Segment[];
}

export interface RouteMatch {
  readonly routes: RouteSet;
  readonly params: Record<string, string | string[]>;
}

/**
 * Matches paths against route sets declared in the Next.js file-system syntax (`[id]`,
 * `[...path]`), so the same declarations serve under plain `node:http`. Static segments win over
 * parameters, and parameters over catch-alls, as in Next.js.
 */
export function createRouter(
  routeSets: readonly RouteSet[],
): (pathname: string) => RouteMatch | undefined {
  const compiled = routeSets.map(compile).sort((a, b) => specificity(b) - specificity(a));

  return (pathname) => {
    const parts = pathname.split('/').filter((part) => part !== '');
    let decoded: string[];
    try {
      decoded = parts.map((part) => decodeURIComponent(part));
    } catch {
      return undefined;
    }

    for (const candidate of compiled) {
      const params = matchSegments(candidate.segments, decoded);
      if (params) return { routes: candidate.routes, params };
    }
    return undefined;
  };
}

function compile(routes: RouteSet): CompiledRoute {
  const segments = routes.path
    .split('/')
    .filter((part) => part !== '')
    .map((part): Segment => {
      const rest = /^\[\.\.\.(\w+)\]$/.exec(part);
      if (rest?.[1]) return { kind: 'rest', name: rest[1] };
      const param = /^\[(\w+)\]$/.exec(part);
      if (param?.[1]) return { kind: 'param', name: param[1] };
      return { kind: 'static', value: part };
    });
  return { routes, segments };
}

function specificity(route: CompiledRoute): number {
  let score = route.segments.length * 10;
  for (const segment of route.segments) {
    if (segment.kind === 'static') score += 2;
    if (segment.kind === 'rest') score -= 1000;
  }
  return score;
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string | string[]> | undefined {
  const params: Record<string, string | string[]> = Object.create(null);

  for (const [index, segment] of segments.entries()) {
    const part = parts[index];
    if (segment.kind === 'rest') {
      if (index >= parts.length) return undefined;
      params[segment.name] = parts.slice(index);
      return params;
    }
    if (part === undefined) return undefined;
    if (segment.kind === 'static' && segment.value !== part) return undefined;
    if (segment.kind === 'param') params[segment.name] = part;
  }

  return segments.length === parts.length ? params : undefined;
}
