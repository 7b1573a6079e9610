import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  cspReportMediaType,
  MAX_REPORTS_PER_DELIVERY,
  normaliseReports,
  type CspViolation,
  type ReportIntake,
} from './reports.js';

// Shaped as Chromium sends report-uri reports (`application/csp-report`).
function legacyReport(fields: Record<string, unknown> = {}): unknown {
  return {
    'csp-report': {
      'document-uri': 'https://app.example.com/notes/42?token=secret#top',
      referrer: 'https://search.example/',
      'violated-directive': 'script-src-elem',
      'effective-directive': 'script-src-elem',
      'original-policy': "default-src 'self'; report-uri /api/csp-reports",
      disposition: 'report',
      'blocked-uri': 'https://cdn.tracker.example:8443/t.js?uid=123',
      'line-number': 12,
      'column-number': 7,
      'source-file': 'https://app.example.com/_next/static/app.js',
      'status-code': 200,
      'script-sample': '',
      ...fields,
    },
  };
}

// Shaped as Chromium sends Reporting API deliveries (`application/reports+json`).
function cspViolation(body: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'csp-violation',
    age: 1200,
    url: 'https://app.example.com/login',
    user_agent: 'Mozilla/5.0',
    body: {
      documentURL: 'https://app.example.com/login?next=%2Fadmin',
      referrer: '',
      blockedURL: 'inline',
      effectiveDirective: 'script-src-elem',
      originalPolicy: "default-src 'self'; report-to csp",
      sourceFile: 'https://app.example.com/login',
      sample: 'alert(1)',
      disposition: 'enforce',
      statusCode: 200,
      lineNumber: 3,
      columnNumber: 9,
      ...body,
    },
  };
}

function violations(intake: ReportIntake): CspViolation[] {
  if (!intake.ok) throw new Error(`refused: ${JSON.stringify(intake.issues)}`);
  return intake.violations;
}

function issuesOf(intake: ReportIntake) {
  if (intake.ok) throw new Error('the reports were accepted');
  return intake.issues;
}

describe('cspReportMediaType', () => {
  it.each([
    ['application/csp-report', 'application/csp-report'],
    ['application/reports+json', 'application/reports+json'],
    ['Application/Reports+JSON; charset=utf-8', 'application/reports+json'],
    ['application/json', undefined],
    ['text/plain', undefined],
    ['application/csp-report; =broken', undefined],
    [null, undefined],
  ])('reads %j as %j', (header, expected) => {
    expect(cspReportMediaType(header)).toBe(expected);
  });
});

describe('normaliseReports: application/csp-report', () => {
  it('reduces a report to its directive, blocked origin, page path and disposition', () => {
    expect(violations(normaliseReports('application/csp-report', legacyReport()))).toEqual([
      {
        directive: 'script-src-elem',
        blockedOrigin: 'https://cdn.tracker.example:8443',
        documentPath: '/notes/42',
        disposition: 'report',
        sourceOrigin: 'https://app.example.com',
        extension: false,
      },
    ]);
  });

  it('never keeps a query, a fragment or a path of the blocked URL', () => {
    const [violation] = violations(normaliseReports('application/csp-report', legacyReport()));
    expect(JSON.stringify(violation)).not.toMatch(/secret|uid=|t\.js|#top/);
  });

  it('falls back to the first token of violated-directive', () => {
    const report = legacyReport({
      'effective-directive': undefined,
      'violated-directive': "img-src 'self' data:",
    });
    const [violation] = violations(normaliseReports('application/csp-report', report));
    expect(violation?.directive).toBe('img-src');
  });

  it('takes a report without disposition as enforced', () => {
    const report = legacyReport({ disposition: undefined });
    const [violation] = violations(normaliseReports('application/csp-report', report));
    expect(violation?.disposition).toBe('enforce');
  });

  it('ignores fields it does not know', () => {
    const report = legacyReport({ 'new-field': { nested: true } });
    expect(violations(normaliseReports('application/csp-report', report))).toHaveLength(1);
  });

  it.each([
    ['no csp-report object', { report: {} }],
    ['an array', [legacyReport()]],
    ['no document-uri', legacyReport({ 'document-uri': undefined })],
    [
      'no directive at all',
      legacyReport({ 'effective-directive': undefined, 'violated-directive': undefined }),
    ],
    [
      'an over-long blocked-uri',
      legacyReport({ 'blocked-uri': `https://a.example/${'a'.repeat(9000)}` }),
    ],
    ['an over-long policy', legacyReport({ 'original-policy': 'a'.repeat(20_000) })],
    ['an unknown disposition', legacyReport({ disposition: 'ignore' })],
    ['a line number that is not an integer', legacyReport({ 'line-number': '12' })],
    ['a negative status code', legacyReport({ 'status-code': -1 })],
  ])('refuses a report with %s', (_, body) => {
    const issues = issuesOf(normaliseReports('application/csp-report', body));
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) expect(issue.path).toMatch(/^body/);
  });

  it('names the field at fault, without echoing its value', () => {
    const issues = issuesOf(
      normaliseReports('application/csp-report', legacyReport({ disposition: 'evil<script>' })),
    );
    expect(issues).toEqual([
      expect.objectContaining({ path: 'body["csp-report"].disposition', code: 'invalid_value' }),
    ]);
    expect(JSON.stringify(issues)).not.toContain('evil<script>');
  });
});

describe('normaliseReports: application/reports+json', () => {
  it('reduces each csp-violation report', () => {
    const delivery = [cspViolation(), cspViolation({ blockedURL: 'eval', sample: undefined })];

    expect(violations(normaliseReports('application/reports+json', delivery))).toEqual([
      {
        directive: 'script-src-elem',
        blockedOrigin: 'inline',
        documentPath: '/login',
        disposition: 'enforce',
        sourceOrigin: 'https://app.example.com',
        extension: false,
        sample: 'alert(1)',
      },
      expect.objectContaining({ blockedOrigin: 'eval' }),
    ]);
  });

  it('skips reports of other types without failing', () => {
    const delivery = [
      { type: 'deprecation', url: 'https://app.example.com/', body: { id: 'x' } },
      cspViolation(),
      { type: 'network-error', age: 1, body: null },
      { type: 'intervention' },
    ];
    const intake = normaliseReports('application/reports+json', delivery);

    expect(violations(intake)).toHaveLength(1);
    expect(intake.ok && intake.skipped).toBe(3);
  });

  it('accepts null for the optional fields Chromium sends as null', () => {
    const delivery = [cspViolation({ sourceFile: null, sample: null, lineNumber: null })];
    const [violation] = violations(normaliseReports('application/reports+json', delivery));
    expect(violation).not.toHaveProperty('sourceOrigin');
    expect(violation).not.toHaveProperty('sample');
  });

  it('accepts an empty delivery', () => {
    expect(violations(normaliseReports('application/reports+json', []))).toEqual([]);
  });

  it(`refuses a delivery of more than ${MAX_REPORTS_PER_DELIVERY} reports`, () => {
    const delivery = Array.from({ length: MAX_REPORTS_PER_DELIVERY + 1 }, () => cspViolation());
    expect(issuesOf(normaliseReports('application/reports+json', delivery))).toEqual([
      expect.objectContaining({ path: 'body', code: 'too_big' }),
    ]);
  });

  it('points at the report and field at fault', () => {
    const delivery = [cspViolation(), cspViolation({ effectiveDirective: undefined })];
    expect(issuesOf(normaliseReports('application/reports+json', delivery))).toEqual([
      expect.objectContaining({ path: 'body[1].body.effectiveDirective' }),
    ]);
  });

  it.each([
    ['an object instead of an array', cspViolation()],
    ['a report without a type', [{ body: {} }]],
    ['a csp-violation without a body', [{ type: 'csp-violation' }]],
    ['an over-long sample', [cspViolation({ sample: 'a'.repeat(2000) })]],
    ['an unknown disposition', [cspViolation({ disposition: 'maybe' })]],
    ['a numeric documentURL', [cspViolation({ documentURL: 42 })]],
  ])('refuses %s', (_, body) => {
    expect(issuesOf(normaliseReports('application/reports+json', body)).length).toBeGreaterThan(0);
  });
});

describe('normalised fields', () => {
  const one = (body: Record<string, unknown>) =>
    violations(normaliseReports('application/reports+json', [cspViolation(body)]))[0];

  it.each([
    ['inline', 'inline'],
    ['eval', 'eval'],
    ['wasm-eval', 'wasm-eval'],
    ['trusted-types-policy', 'trusted-types-policy'],
    ['trusted-types-sink', 'trusted-types-sink'],
    ['data', 'data'],
    ['blob', 'blob'],
    ['data:image/png;base64,iVBORw0KGgo=', 'data'],
    ['blob:https://app.example.com/5d2c0c5b-1f7e', 'blob'],
    ['https://evil.example/path/x.js?q=1#f', 'https://evil.example'],
    ['HTTPS://EVIL.EXAMPLE:443/x', 'https://evil.example'],
    ['wss://socket.example/live', 'wss://socket.example'],
    ['', 'unknown'],
    [null, 'unknown'],
    ['not a url', 'unknown'],
  ])('blocked %j is recorded as %j', (blockedURL, expected) => {
    expect(one({ blockedURL })?.blockedOrigin).toBe(expected);
  });

  it.each([
    ['https://app.example.com/a/b?c=d#e', '/a/b'],
    ['https://app.example.com', '/'],
    ['about:srcdoc', 'about:srcdoc'],
    ['nonsense', 'unknown'],
  ])('document %j is recorded as path %j', (documentURL, expected) => {
    expect(one({ documentURL })?.documentPath).toBe(expected);
  });

  it('bounds the stored path', () => {
    const documentURL = `https://app.example.com/${'a'.repeat(4000)}`;
    expect(one({ documentURL })?.documentPath).toHaveLength(512);
  });

  it('records a directive CSP does not define as other', () => {
    expect(one({ effectiveDirective: 'made-up-src' })?.directive).toBe('other');
    expect(one({ effectiveDirective: 'Script-Src' })?.directive).toBe('script-src');
  });

  it.each([
    'chrome-extension://abcdefghijklmnop/content.js',
    'moz-extension://0d3c6b1e-aaaa/inject.js',
    'safari-extension://com.example.ext/script.js',
    'safari-web-extension://E2B1A3/script.js',
    'ms-browser-extension://ext/script.js',
    'webkit-masked-url://hidden/',
  ])('marks %s as an extension, as blocked URL or as source file', (url) => {
    expect(one({ blockedURL: url })?.extension).toBe(true);
    expect(one({ blockedURL: 'inline', sourceFile: url })?.extension).toBe(true);
  });

  it('does not mark first-party or third-party web origins as extensions', () => {
    expect(one({ blockedURL: 'https://chrome-extension.example/x.js' })?.extension).toBe(false);
    expect(one({ blockedURL: 'inline', sourceFile: 'https://app.example.com/' })?.extension).toBe(
      false,
    );
  });
});

describe('normaliseReports on any JSON', () => {
  it('never throws, and keeps no query or fragment of what it accepts', () => {
    const urlLike = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string(),
    );
    const report = fc.record(
      {
        documentURL: urlLike,
        blockedURL: urlLike,
        sourceFile: urlLike,
        effectiveDirective: fc.string(),
        disposition: fc.constantFrom('enforce', 'report', 'x'),
      },
      { requiredKeys: [] },
    );
    const delivery = fc.array(
      fc.oneof(fc.record({ type: fc.constant('csp-violation'), body: report }), fc.jsonValue()),
      { maxLength: 5 },
    );
    const body = fc.oneof(fc.jsonValue(), delivery, fc.record({ 'csp-report': fc.jsonValue() }));

    fc.assert(
      fc.property(
        fc.constantFrom('application/csp-report', 'application/reports+json' as const),
        body,
        (mediaType, json) => {
          const intake = normaliseReports(mediaType, json);
          if (!intake.ok) return;
          for (const violation of intake.violations) {
            expect(violation.documentPath).not.toMatch(/[?#]/);
            expect(violation.blockedOrigin).not.toMatch(/[?#]/);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
