/**
 * The tamper-evidence core of the audit log: canonical entry bytes, the RFC 6962 / RFC 9162
 * Merkle tree with its inclusion and consistency proofs, and C2SP checkpoints in Ed25519-signed
 * notes. Pure functions over bytes and strings; storage lives elsewhere.
 * @module
 */
export {
  canonicalBytes,
  canonicalJson,
  MAX_JSON_DEPTH,
  type JsonObject,
  type JsonValue,
} from './canonical.js';
export {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  type Checkpoint,
  type VerifiedCheckpoint,
} from './checkpoint.js';
export { AuditLogError, type AuditLogErrorCode } from './errors.js';
export { emptyRoot, equalHashes, HASH_SIZE, leafHash, nodeHash } from './hash.js';
export {
  isValidKeyName,
  noteKeyHash,
  parseSignerKey,
  parseVerifierKey,
  rawPublicKey,
  verifierKey,
  type NoteSigner,
  type NoteVerifier,
} from './keys.js';
export {
  MAX_NOTE_SIGNATURES,
  openNote,
  signNote,
  type NoteSignature,
  type OpenedNote,
} from './note.js';
export {
  consistencyProof,
  consistencyProofFrom,
  inclusionProof,
  inclusionProofFrom,
  type NodeReader,
} from './proof.js';
export {
  createTreeBuilder,
  rootOf,
  type NodeListener,
  type TreeBuilder,
  type TreeBuilderState,
} from './tree.js';
export { verifyConsistency, verifyInclusion } from './verify.js';
