import {
  createPageProfile,
  createSqlCspViolationStore,
  hstsFor,
  NONCE,
  type CspDirectives,
  type CspViolationStore,
  type HeaderList,
  type PageProfile,
  type Source,
} from 'gatehouse/headers';

import { getConfig } from './config';
import { getAppDatabase } from './db';
import { getLogger } from './log';
import { processSingleton } from './process-singleton';

/** Where browsers send CSP violation reports. */
export const CSP_REPORT_PATH = '/api/csp-reports';

/**
 * The page profile of the configuration: mode, policy and candidate, reporting to the collector.
 * Built once; the start-up check builds it too, so a policy that is not valid stops the start.
 */
export function getPageProfile(): PageProfile {
  return processSingleton('page-profile', () => {
    const config = getConfig();
    const { cspPolicy, cspCandidate } = config.headers;
    return createPageProfile({
      mode: config.headers.cspMode,
      ...(cspPolicy ? { policy: withNonce(cspPolicy) } : {}),
      ...(cspCandidate ? { candidate: withNonce(cspCandidate) } : {}),
      reporting: { endpoint: CSP_REPORT_PATH },
      production: config.environment === 'production',
      // `next dev` evaluates code it sends to the browser; the production server never does.
      development: process.env.NODE_ENV === 'development',
    });
  });
}

/** The headers of a page answer with this nonce: the CSP, the shared headers, and HSTS. */
export function pageHeaders(nonce: string, url: URL): HeaderList {
  const { behindTlsProxy, hstsPreload } = getConfig().headers;
  return [
    ...getPageProfile().headers(nonce),
    ...hstsFor({ https: url.protocol === 'https:', behindTlsProxy, preload: hstsPreload }),
  ];
}

/** The enforced policy, or the report-only one when nothing is enforced, for this nonce. */
export function leadingPolicy(nonce: string): string {
  const profile = getPageProfile();
  return (profile.enforced ?? profile.reportOnly)?.serialize(nonce) ?? '';
}

/** Configured directives with `'nonce-{nonce}'` standing for each response's nonce. */
function withNonce(directives: Readonly<Record<string, readonly string[]>>): CspDirectives {
  return Object.entries(directives).map(([name, sources]): [string, Source[]] => [
    name,
    sources.map((source) => (source === "'nonce-{nonce}'" ? NONCE : source)),
  ]);
}

export async function getViolationStore(): Promise<CspViolationStore> {
  return createSqlCspViolationStore((await getAppDatabase()).db);
}

const FLUSH_MS = 10_000;

interface ViewCounter {
  pending: number;
  timer: ReturnType<typeof setInterval> | undefined;
}

/**
 * Counts a page served with a CSP, the traffic `gatehouse csp report` judges a policy against.
 * Counts are written every 10 seconds, so a crash loses at most those.
 */
export function countPageView(): void {
  const counter = processSingleton<ViewCounter>('page-views', () => ({
    pending: 0,
    timer: undefined,
  }));
  counter.pending += 1;
  counter.timer ??= setInterval(() => void flushPageViews(counter), FLUSH_MS).unref();
}

async function flushPageViews(counter: ViewCounter): Promise<void> {
  const views = counter.pending;
  if (views === 0) return;
  counter.pending = 0;
  try {
    await (await getViolationStore()).recordPageViews(views, new Date());
  } catch (error) {
    counter.pending += views;
    getLogger().warn({ err: error }, 'page views not recorded');
  }
}
