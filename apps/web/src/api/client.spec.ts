import { describe, expect, it } from 'vitest';
import { ApiError, apiUrl, describeError, fieldErrorsByName } from './client';

describe('fieldErrorsByName', () => {
  it('maps a 422\'s params.<name> errors to their parameters and keeps the rest general', () => {
    expect(fieldErrorsByName([
      { field: 'params.ticket', message: 'must match the pattern ^[A-Z]+-[0-9]+$' },
      { field: 'params.regions[1]', message: 'must be one of: eu, us' },
      { field: 'params.ticket', message: 'is too long' },
      { field: 'params', message: 'must not have the field extra' },
    ], 'params')).toEqual({
      byField: { ticket: 'must match the pattern ^[A-Z]+-[0-9]+$; is too long', regions: 'must be one of: eu, us' },
      general: ['params: must not have the field extra'],
    });
  });
});

describe('apiUrl', () => {
  it('leaves empty filters out and joins lists', () => {
    expect(apiUrl('/executions', { procedure: 'p', status: ['failed', 'timed_out'], project: '', cursor: null, triggeredBy: undefined }))
      .toBe('/api/v1/executions?procedure=p&status=failed%2Ctimed_out');
  });
});

describe('describeError', () => {
  it('tells a missing route (a feature not on this server) from an object the caller may not see', () => {
    expect(describeError(new ApiError(404, { detail: 'no such route' }))).toBe('This feature is not available on this server yet.');
    expect(describeError(new ApiError(404, { detail: 'procedure not found' }))).toBe('Not found, or not visible to you.');
    expect(describeError(new ApiError(403, { detail: 'you may not change this procedure' }))).toBe('Not allowed: you may not change this procedure');
  });
});
