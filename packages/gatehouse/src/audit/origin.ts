/**
 * The name a deployment's audit log goes by in its checkpoints (their first line, C2SP
 * `tlog-checkpoint`), derived from the public URL so that every instance and the CLI agree.
 */
export function auditOriginOf(publicUrl: string): string {
  return `${new URL(publicUrl).host}/audit`;
}
