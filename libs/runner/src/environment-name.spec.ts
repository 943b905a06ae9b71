import { describe, expect, it } from 'vitest';
import { toEnvironmentName } from './environment-name';

describe('toEnvironmentName', () => {
  it('upper-cases and replaces every non-alphanumeric character with _', () => {
    expect(toEnvironmentName('PARAM', 'target-host.name')).toBe('PARAM_TARGET_HOST_NAME');
    expect(toEnvironmentName('STEP', 'deploy app', 'url')).toBe('STEP_DEPLOY_APP_URL');
  });

  it('replaces non-ASCII letters instead of upper-casing them into something else', () => {
    expect(toEnvironmentName('PARAM', 'straße')).toBe('PARAM_STRA_E');
    expect(toEnvironmentName('PARAM', 'a😀b')).toBe('PARAM_A_B');
  });
});
