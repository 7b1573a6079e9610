import { describe, expect, it } from 'vitest';

import { countBySeverity, type Finding } from './finding.js';
import { formatReport } from './report.js';
import type { ReviewReport } from './run.js';

const findings: Finding[] = [
  {
    id: 'cors:wildcard',
    severity: 'high',
    title: 'CORS allows every origin',
    detail: 'Any web page can call the API.',
    fix: 'List the origins.',
  },
  {
    id: 'route:undeclared:app/x\u001b[2J/route.ts',
    severity: 'low',
    title: 'app/x\u001b[2J/route.ts\u202e is odd',
    detail: 'line one\nline two',
  },
];

const report: ReviewReport = {
  generatedAt: '2026-06-30T12:00:00.000Z',
  failOn: 'high',
  failed: true,
  counts: countBySeverity(findings),
  findings,
  rotation: [{ kind: 'jwt', action: 'rotated', id: 'old-kid', newId: 'new-kid' }],
};

describe('formatReport', () => {
  it('prints text for a terminal: counts, each finding with its fix, rotation, verdict', () => {
    const text = formatReport(report, 'text');
    expect(text.split('\n').slice(0, 2)).toEqual([
      'Gatehouse security review, 2026-06-30T12:00:00.000Z',
      'critical 0, high 1, medium 0, low 1, info 0',
    ]);
    expect(text).toContain('[HIGH] CORS allows every origin\n    Any web page');
    expect(text).toContain('    fix: List the origins.');
    expect(text).toContain('jwt key old-kid rotated: new-kid is now active');
    expect(text.trimEnd().endsWith('Result: FAILED, 1 finding at high or above.')).toBe(true);
  });

  it('shows control and bidirectional characters escaped, never raw', () => {
    for (const format of ['text', 'markdown'] as const) {
      const shown = formatReport(report, format);
      expect(shown).not.toContain('\u001b');
      expect(shown).not.toContain('\u202e');
      expect(shown).toContain('app/x\\u001b[2J/route.ts\\u202e is odd');
      expect(shown).toContain('line one\\u000aline two');
    }
  });

  it('writes Markdown for a ticket: a dated title, a table by severity, then the findings', () => {
    const markdown = formatReport(report, 'markdown');
    expect(markdown.startsWith('# Security review 2026-06-30\n')).toBe(true);
    expect(markdown).toContain(
      '| Severity | Findings |\n| --- | ---: |\n| critical | 0 |\n| high | 1 |',
    );
    expect(markdown).toContain('### HIGH: CORS allows every origin');
    expect(markdown).toContain('**Fix:** List the origins.');
    expect(markdown).toContain('## Rotation');
  });

  it('writes JSON that reads back as the report', () => {
    expect(JSON.parse(formatReport(report, 'json'))).toEqual(report);
  });
});
