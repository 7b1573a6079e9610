/**
 * CSP violation reports in either format browsers send, checked and reduced to what is worth
 * counting: which directive blocked what origin on which page.
 * @module
 */
import { parse as parseContentType } from 'content-type';
import { z } from 'zod';

import type { ValidationIssue } from '../validation/issues.js';
import { validateInput } from '../validation/validate.js';
import { CSP_DIRECTIVES } from './csp.js';

const URL_MAX = 8192;
const POLICY_MAX = 16_384;
const TOKEN_MAX = 256;
const SAMPLE_MAX = 1024;
const PATH_MAX = 512;

/** The most reports one `application/reports+json` delivery may carry. */
export const MAX_REPORTS_PER_DELIVERY = 100;

const url = z.string().max(URL_MAX);
const token = z.string().max(TOKEN_MAX);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const disposition = z.enum(['enforce', 'report']);

/**
 * The `application/csp-report` body of `report-uri` (CSP Level 2). Fields browsers add beyond
 * these are dropped; every string is bounded.
 */
export const CspReportDocument = z.object({
  'csp-report': z
    .object({
      'document-uri': url,
      referrer: url.optional(),
      'violated-directive': token.optional(),
      'effective-directive': token.optional(),
      'original-policy': z.string().max(POLICY_MAX).optional(),
      'blocked-uri': url.optional(),
      'status-code': count.optional(),
      'source-file': url.optional(),
      'line-number': count.optional(),
      'column-number': count.optional(),
      disposition: disposition.optional(),
      'script-sample': z.string().max(SAMPLE_MAX).optional(),
    })
    .refine(
      (r) => r['effective-directive'] !== undefined || r['violated-directive'] !== undefined,
      {
        message: 'A report must name the directive it violated.',
      },
    ),
});

/** The body of a Reporting API report of type `csp-violation` (CSP Level 3 §5.3). */
export const CspViolationBody = z.object({
  documentURL: url,
  referrer: url.nullish(),
  blockedURL: url.nullish(),
  effectiveDirective: token,
  originalPolicy: z.string().max(POLICY_MAX).nullish(),
  sourceFile: url.nullish(),
  sample: z.string().max(SAMPLE_MAX).nullish(),
  disposition,
  statusCode: count.nullish(),
  lineNumber: count.nullish(),
  columnNumber: count.nullish(),
});

/**
 * An `application/reports+json` delivery: reports of any type, the body of `csp-violation` ones
 * checked apart (reports of other types are skipped without being read).
 */
export const ReportingDelivery = z
  .array(
    z.object({
      type: token,
      age: count.optional(),
      url: url.optional(),
      user_agent: z
        .string()
        .max(TOKEN_MAX * 4)
        .optional(),
      body: z.unknown().optional(),
    }),
  )
  .max(MAX_REPORTS_PER_DELIVERY);

/** The media types of CSP reports: `report-uri`'s, then the Reporting API's (`report-to`). */
export type CspReportMediaType = 'application/csp-report' | 'application/reports+json';

/** One violation, reduced to what can be grouped and counted without keeping personal data. */
export interface CspViolation {
  /** The effective directive, lower-case; `other` for a name CSP does not define. */
  readonly directive: string;
  /**
   * The origin of what was blocked (`https://cdn.example.com`), or a keyword for what has none:
   * `inline`, `eval`, `wasm-eval`, `trusted-types-policy`, `trusted-types-sink`, or the scheme
   * (`data`, `blob`, `chrome-extension`); `unknown` when the browser gave nothing usable.
   */
  readonly blockedOrigin: string;
  /** The path of the page, without its query or fragment. */
  readonly documentPath: string;
  readonly disposition: 'enforce' | 'report';
  /** The origin (or keyword) of the script that caused the violation, when the report says. */
  readonly sourceOrigin?: string;
  /** Whether the violation came from a browser extension, not from the app. */
  readonly extension: boolean;
  /** The first characters of the blocked code, when the policy asks for `'report-sample'`. */
  readonly sample?: string;
}

/** The outcome of `normaliseReports`: violations, or the issues for a 400. */
export type ReportIntake =
  | { readonly ok: true; readonly violations: CspViolation[]; readonly skipped: number }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/**
 * The CSP report media type a `Content-Type` header names, or `undefined` for anything else
 * (which the endpoint answers with a 415).
 */
export function cspReportMediaType(contentType: string | null): CspReportMediaType | undefined {
  if (contentType === null) return undefined;
  try {
    const { type } = parseContentType(contentType);
    return type === 'application/csp-report' || type === 'application/reports+json'
      ? type
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a parsed report body of the given media type and reduces each CSP violation in it to a
 * `CspViolation`. A body that does not fit its schema gives `{ ok: false, issues }`, with the
 * same issue paths and wording as the validation layer; reports of other types in a Reporting
 * API delivery are counted in `skipped`.
 *
 * @example
 * const intake = normaliseReports(mediaType, parseJsonStrict(text));
 * if (!intake.ok) return problem(400, intake.issues);
 * await violations.record(intake.violations, new Date());
 */
export function normaliseReports(mediaType: CspReportMediaType, body: unknown): ReportIntake {
  if (mediaType === 'application/csp-report') {
    const checked = validateInput(CspReportDocument, body, 'body');
    if (!checked.ok) return checked;
    return { ok: true, violations: [fromCspReport(checked.value['csp-report'])], skipped: 0 };
  }

  const checked = validateInput(ReportingDelivery, body, 'body');
  if (!checked.ok) return checked;

  const violations: CspViolation[] = [];
  const issues: ValidationIssue[] = [];
  checked.value.forEach((report, i) => {
    if (report.type !== 'csp-violation') return;
    const reportBody = validateInput(CspViolationBody, report.body, 'body');
    if (reportBody.ok) violations.push(fromReportingBody(reportBody.value));
    // The issue paths start at `body`, this report's body, which is `body[i].body` here.
    else for (const issue of reportBody.issues) issues.push(atReport(issue, i));
  });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, violations, skipped: checked.value.length - violations.length };
}

function fromCspReport(report: z.output<typeof CspReportDocument>['csp-report']): CspViolation {
  const named = report['effective-directive'] ?? report['violated-directive'] ?? '';
  return violation({
    directive: named.trim().split(/\s+/)[0] ?? '',
    blocked: report['blocked-uri'],
    document: report['document-uri'],
    disposition: report.disposition ?? 'enforce',
    source: report['source-file'],
    sample: report['script-sample'],
  });
}

function fromReportingBody(body: z.output<typeof CspViolationBody>): CspViolation {
  return violation({
    directive: body.effectiveDirective,
    blocked: body.blockedURL ?? undefined,
    document: body.documentURL,
    disposition: body.disposition,
    source: body.sourceFile ?? undefined,
    sample: body.sample ?? undefined,
  });
}

interface RawViolation {
  readonly directive: string;
  readonly blocked: string | undefined;
  readonly document: string;
  readonly disposition: 'enforce' | 'report';
  readonly source: string | undefined;
  readonly sample: string | undefined;
}

function violation(raw: RawViolation): CspViolation {
  const directive = raw.directive.toLowerCase();
  const blockedOrigin = locationOf(raw.blocked) ?? 'unknown';
  const sourceOrigin = locationOf(raw.source);
  const extension = isExtension(blockedOrigin) || isExtension(sourceOrigin);

  return {
    directive: CSP_DIRECTIVES.has(directive) ? directive : 'other',
    blockedOrigin,
    documentPath: pathOf(raw.document),
    disposition: raw.disposition,
    ...(sourceOrigin === undefined ? {} : { sourceOrigin }),
    extension,
    ...(raw.sample === undefined || raw.sample === '' ? {} : { sample: raw.sample }),
  };
}

// What browsers write instead of a URL when the blocked thing has none.
const LOCATION_KEYWORDS: ReadonlySet<string> = new Set([
  'inline',
  'eval',
  'wasm-eval',
  'trusted-types-policy',
  'trusted-types-sink',
  'self',
  'data',
  'blob',
]);
const NETWORK_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss']);

/** An origin for network URLs, a keyword or scheme for the rest; never a path or a query. */
function locationOf(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const keyword = value.toLowerCase();
  if (LOCATION_KEYWORDS.has(keyword)) return keyword;
  if (!URL.canParse(value)) return 'unknown';

  const parsed = new URL(value);
  const scheme = parsed.protocol.slice(0, -1);
  return NETWORK_SCHEMES.has(scheme) ? parsed.origin : scheme;
}

function pathOf(documentUrl: string): string {
  if (!URL.canParse(documentUrl)) return 'unknown';
  const parsed = new URL(documentUrl);
  const scheme = parsed.protocol.slice(0, -1);
  const path = NETWORK_SCHEMES.has(scheme) ? parsed.pathname : `${scheme}:${parsed.pathname}`;
  return path.slice(0, PATH_MAX);
}

// Extension schemes of Chrome, Firefox, Safari and legacy Edge; Safari reports an extension's
// script as `webkit-masked-url://hidden/`.
const EXTENSION_SCHEMES: ReadonlySet<string> = new Set([
  'chrome-extension',
  'moz-extension',
  'safari-extension',
  'safari-web-extension',
  'ms-browser-extension',
  'webkit-masked-url',
]);

function isExtension(location: string | undefined): boolean {
  return location !== undefined && EXTENSION_SCHEMES.has(location);
}

function atReport(issue: ValidationIssue, index: number): ValidationIssue {
  return { ...issue, path: `body[${index}].body${issue.path.slice('body'.length)}` };
}
