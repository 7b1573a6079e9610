import { describe, expect, it } from 'vitest';

import { auditSetupSql } from './setup.js';

describe('the PostgreSQL setup script', () => {
  it('grants the writer SELECT and INSERT only, and guards every table with triggers', () => {
    const sql = auditSetupSql('audit_w');
    expect(sql).toContain(
      'GRANT SELECT, INSERT ON audit_entries, audit_nodes, audit_checkpoints TO audit_w;',
    );
    expect(sql).not.toMatch(/GRANT[^;]*(UPDATE|DELETE|TRUNCATE)/);
    for (const table of ['audit_entries', 'audit_nodes', 'audit_checkpoints']) {
      expect(sql).toContain(`BEFORE UPDATE OR DELETE ON ${table}`);
      expect(sql).toContain(`BEFORE TRUNCATE ON ${table}`);
    }
  });

  it('refuses a role name that is not a plain identifier', () => {
    expect(() => auditSetupSql('x; DROP TABLE audit_entries')).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_OPTIONS_INVALID' }),
    );
  });
});
