import type { core } from 'zod';

/**
 * Gatehouse's own wording for Zod's issue codes. Schemas may still set their own messages, which
 * win; this map only replaces Zod's defaults, so a client never reads a library's phrasing.
 */
export const issueMessage: core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'This field is required.' : `Expected ${issue.expected}.`;
    case 'too_small':
      return sizeMessage('at least', issue.origin, issue.minimum, issue.inclusive !== false);
    case 'too_big':
      return sizeMessage('at most', issue.origin, issue.maximum, issue.inclusive !== false);
    case 'invalid_format':
      return formatMessage(issue.format);
    case 'not_multiple_of':
      return `Must be a multiple of ${issue.divisor}.`;
    case 'unrecognized_keys':
      return 'This field is not allowed.';
    case 'invalid_value':
      return `Must be one of: ${issue.values.map((value) => JSON.stringify(value)).join(', ')}.`;
    case 'invalid_union':
      return 'Does not match any accepted form.';
    case 'invalid_key':
    case 'invalid_element':
      return 'Contains an entry that is not valid.';
    default:
      return 'Is not valid.';
  }
};

const UNITS: Record<string, [string, string]> = {
  string: ['character', 'characters'],
  array: ['item', 'items'],
  set: ['item', 'items'],
  file: ['byte', 'bytes'],
};

function sizeMessage(
  bound: 'at least' | 'at most',
  origin: string,
  limit: number | bigint,
  inclusive: boolean,
): string {
  const units = UNITS[origin];
  if (units) {
    if (bound === 'at least' && limit === 1) return 'Must not be empty.';
    return `Must have ${bound} ${limit} ${limit === 1 ? units[0] : units[1]}.`;
  }
  if (inclusive) return `Must be ${bound} ${limit}.`;
  return `Must be ${bound === 'at least' ? 'greater' : 'less'} than ${limit}.`;
}

const FORMATS: Record<string, string> = {
  email: 'an email address',
  url: 'a URL',
  uuid: 'a UUID',
  datetime: 'a date and time (ISO 8601)',
  date: 'a date (YYYY-MM-DD)',
  regex: 'in the expected format',
};

function formatMessage(format: string): string {
  const described = FORMATS[format];
  if (described === 'in the expected format') return 'Is not in the expected format.';
  return `Must be ${described ?? `a valid ${format}`}.`;
}
