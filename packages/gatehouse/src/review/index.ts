/**
 * The periodic security review behind `gatehouse review`: key and secret ages, the dependency
 * audit and lockfile, configuration lint, routes outside the pipeline, and the audit log's
 * verification, as findings on one severity scale. Node-only.
 * @module
 */
export {
  keyAgeFindings,
  secretAgeFindings,
  signingKeysDueForRetirement,
  type KeyAgeOptions,
  type ProviderSecrets,
} from './ages.js';
export {
  auditLogFindings,
  auditVerificationFindings,
  verifyDeploymentAuditLog,
} from './audit-status.js';
export { configFindings, SENSITIVE_RATE_POLICIES, type ConfigLintOptions } from './config-lint.js';
export {
  dependencyAuditFindings,
  lockfileFindings,
  NPM_SEVERITIES,
  npmAuditFindings,
  spawnCommand,
  type CommandResult,
  type CommandRunner,
  type NpmSeverity,
} from './dependencies.js';
export {
  countBySeverity,
  isSeverity,
  reaches,
  SEVERITIES,
  sortFindings,
  type Finding,
  type Severity,
  type SeverityCounts,
} from './finding.js';
export { formatReport, type ReportFormat } from './report.js';
export { rotateDueKeys, type RotationAction, type RotationOptions } from './rotation.js';
export { declaresPipelineHandlers, routeDeclarationFindings } from './routes.js';
export { runReview, type ReviewOptions, type ReviewReport, type ReviewSummary } from './run.js';
