/**
 * The validation layer: Zod schemas for path parameters, query and body, strict JSON, body size
 * and media type limits. Safe to import in browser code, which shares the schemas and messages.
 * @module
 */
export { formatPath, type IssuePath, type ValidationIssue } from './issues.js';
export { parseJsonStrict, type JsonLimits, type JsonParseResult } from './json.js';
export { issueMessage } from './messages.js';
export { isJsonContentType } from './media-type.js';
export { readBodyWithLimit, type BodyReadResult } from './body.js';
export { checkRequest, queryToObject, type Refusal, type RequestSchemas } from './request.js';
export {
  issuesByPath,
  validateInput,
  type RequestPart,
  type ValidationResult,
} from './validate.js';
