import { describe, expect, it } from 'vitest';
import { InvalidStepError } from './invalid-step.error';
import { buildStepEnvironment, DEFAULT_STEP_PATH, type StepEnvironmentOptions } from './step-environment';

function options(overrides: Partial<StepEnvironmentOptions> = {}): StepEnvironmentOptions {
  return {
    executionId: 'exec-1',
    stepName: 'restart',
    homeDir: '/ws/home',
    tmpDir: '/ws/tmp',
    paramsFile: '/ws/params.json',
    outputFile: '/ws/steps/1-restart.outputs',
    params: {},
    ...overrides,
  };
}

describe('buildStepEnvironment', () => {
  it('contains only the runner variables when there are no parameters, outputs or secrets', () => {
    expect(buildStepEnvironment(options())).toEqual({
      PATH: DEFAULT_STEP_PATH,
      HOME: '/ws/home',
      LANG: 'C.UTF-8',
      TMPDIR: '/ws/tmp',
      SWITCHBOARD_EXECUTION_ID: 'exec-1',
      SWITCHBOARD_STEP: 'restart',
      SWITCHBOARD_PARAMS: '/ws/params.json',
      SWITCHBOARD_OUTPUT: '/ws/steps/1-restart.outputs',
    });
  });

  it('never copies the worker environment', () => {
    process.env.SECRET_FROM_WORKER_ENV_TEST = 'leak';
    try {
      const environment = buildStepEnvironment(options());
      expect(environment).not.toHaveProperty('SECRET_FROM_WORKER_ENV_TEST');
      expect(environment.PATH).toBe(DEFAULT_STEP_PATH);
    } finally {
      delete process.env.SECRET_FROM_WORKER_ENV_TEST;
    }
  });

  it('uses a PATH given by the caller instead of the default', () => {
    expect(buildStepEnvironment(options({ path: '/opt/tools/bin:/usr/bin' })).PATH).toBe('/opt/tools/bin:/usr/bin');
  });

  it('exposes each parameter as PARAM_<NAME> in its text form', () => {
    const environment = buildStepEnvironment(
      options({
        params: {
          service: 'api',
          'target-env': 'staging',
          replicas: 3,
          ratio: 0.5,
          dryRun: false,
          hosts: ['a', 'b'],
          extra: { k: 1 },
          note: null,
          skipped: undefined,
        },
      }),
    );
    expect(environment).toMatchObject({
      PARAM_SERVICE: 'api',
      PARAM_TARGET_ENV: 'staging',
      PARAM_REPLICAS: '3',
      PARAM_RATIO: '0.5',
      PARAM_DRYRUN: 'false',
      PARAM_HOSTS: '["a","b"]',
      PARAM_EXTRA: '{"k":1}',
      PARAM_NOTE: '',
    });
    expect(environment).not.toHaveProperty('PARAM_SKIPPED');
  });

  it('refuses two parameters that map to the same variable', () => {
    expect(() => buildStepEnvironment(options({ params: { 'a-b': 1, a_b: 2 } }))).toThrow(InvalidStepError);
  });

  it('exposes outputs of previous steps as STEP_<STEP>_<KEY>', () => {
    const environment = buildStepEnvironment(options({ previousOutputs: { restart: { restarted_at: 'noon' } } }));
    expect(environment.STEP_RESTART_RESTARTED_AT).toBe('noon');
  });

  it('adds the secret environment the caller supplies', () => {
    expect(buildStepEnvironment(options({ secretEnv: { API_TOKEN: 's3cr3t' } })).API_TOKEN).toBe('s3cr3t');
  });

  it.each(['PATH', 'HOME', 'LANG', 'TMPDIR', 'SWITCHBOARD_OUTPUT', 'PARAM_X', 'STEP_A_B'])(
    'refuses a secret named %s, which the runner owns',
    (name) => {
      expect(() => buildStepEnvironment(options({ secretEnv: { [name]: 'x' } }))).toThrow(/reserved/);
    },
  );

  it.each(['', '1ABC', 'A-B', 'A B', 'A=B'])('refuses a secret with the invalid name "%s"', (name) => {
    expect(() => buildStepEnvironment(options({ secretEnv: { [name]: 'x' } }))).toThrow(/not a valid/);
  });

  it('refuses a value with a NUL byte, naming the variable but not the value', () => {
    let error: unknown;
    try {
      buildStepEnvironment(options({ secretEnv: { TOKEN: 'abc\0def' } }));
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidStepError);
    expect((error as InvalidStepError).message).toContain('TOKEN');
    expect((error as InvalidStepError).message).not.toContain('abc');
  });
});
