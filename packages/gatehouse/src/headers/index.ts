/**
 * The response-headers layer: security header profiles for APIs and pages, a checked CSP
 * builder with per-request nonces, HSTS, and the intake, storage and judgement of CSP
 * violation reports.
 * @module
 */
export {
  createCsp,
  CSP_DIRECTIVES,
  NONCE,
  unsafeScriptSources,
  type CspDirectives,
  type CspOptions,
  type CspPolicy,
  type DirectiveValue,
  type Source,
} from './csp.js';
export { createNonce } from './nonce.js';
export {
  API_CSP,
  apiHeaders,
  applyHeaders,
  FINGERPRINT_HEADERS,
  NO_STORE,
  removeFingerprintHeaders,
  SECURITY_HEADERS,
  type HeaderList,
} from './profiles.js';
export {
  createPageProfile,
  DEFAULT_PAGE_CSP,
  type CspMode,
  type CspReporting,
  type PageProfile,
  type PageProfileOptions,
} from './page.js';
export { HSTS_MAX_AGE, hstsFor, type HstsOptions } from './hsts.js';
export {
  CspReportDocument,
  cspReportMediaType,
  CspViolationBody,
  MAX_REPORTS_PER_DELIVERY,
  normaliseReports,
  ReportingDelivery,
  type CspReportMediaType,
  type CspViolation,
  type ReportIntake,
} from './reports.js';
export {
  createSqlCspViolationStore,
  cspViolationMigrations,
  type CspViolationStore,
  type ViolationGroup,
} from './violations-store.js';
export { rolloutVerdict, type RolloutOptions, type RolloutVerdict } from './rollout.js';
