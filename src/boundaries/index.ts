export type { AuditDetails, AuditOptions, AuditResult, AuditSummary, EngineRun, StatusCounts } from './audit.js';
export { coveredOf, namespaceOfFinding, runAudit, summarizeAudit } from './audit.js';
export {
  BUILTIN_ROLE_NAMES,
  BUILTIN_ROLES_VERSION,
  type BuiltinAssumption,
  withBuiltinRoles,
} from './builtin-roles.js';
export { BOUNDARY_RULES } from './checks.js';
export type { EnforcementDetection, EnforcerEvidence, EnforcerName } from './cni.js';
export { detectPolicyEnforcement } from './cni.js';
export { defaultDenyOf, isSystemNamespace, podSecurityLabels } from './facts.js';
export { escapeHtml, type HtmlContext, reachabilitySvg, renderAuditHtml } from './html.js';
export type {
  BoundaryProviders,
  NamespaceEdge,
  PermissionHolder,
  PermissionQuery,
  Provided,
  PssEvaluator,
  RbacOracle,
  Reachability,
} from './providers.js';
export { unavailable } from './providers.js';
export { type AuditPushOptions, pushAudit } from './push.js';
export { formatAuditSummary } from './summary.js';
export type { AnalyzeBoundariesOptions, BoundaryReport, NamespaceBoundary, Verdict } from './verdict.js';
export { analyzeBoundaries, verdictOf } from './verdict.js';
