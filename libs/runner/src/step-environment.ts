import { toEnvironmentName } from './environment-name';
import { InvalidStepError } from './invalid-step.error';
import { formatParameterValue } from './parameter-text';
import { stepOutputsToEnvironment } from './step-outputs';

export const DEFAULT_STEP_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface StepEnvironmentOptions {
  executionId: string;
  stepName: string;
  homeDir: string;
  tmpDir: string;
  paramsFile: string;
  outputFile: string;
  params: Readonly<Record<string, unknown>>;
  previousOutputs?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Secrets the caller resolved for this step, by variable name. */
  secretEnv?: Readonly<Record<string, string>>;
  path?: string;
}

const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_NAMES = new Set(['PATH', 'HOME', 'LANG', 'TMPDIR']);
const RESERVED_PREFIXES = ['SWITCHBOARD_', 'PARAM_', 'STEP_'];

/**
 * The complete environment of a step's process. It is built from nothing: the worker's own
 * environment holds its database and queue credentials and must never reach a script.
 */
export function buildStepEnvironment(options: StepEnvironmentOptions): Record<string, string> {
  const environment = new Map<string, string>([
    ['PATH', options.path ?? DEFAULT_STEP_PATH],
    ['HOME', options.homeDir],
    ['LANG', 'C.UTF-8'],
    ['TMPDIR', options.tmpDir],
    ['SWITCHBOARD_EXECUTION_ID', options.executionId],
    ['SWITCHBOARD_STEP', options.stepName],
    ['SWITCHBOARD_PARAMS', options.paramsFile],
    ['SWITCHBOARD_OUTPUT', options.outputFile],
  ]);

  const parameterNames = new Map<string, string>();
  for (const [name, value] of Object.entries(options.params)) {
    if (value === undefined) continue;
    const variable = toEnvironmentName('PARAM', name);
    const clash = parameterNames.get(variable);
    if (clash !== undefined) {
      throw new InvalidStepError(`params.${name}`, `parameters "${clash}" and "${name}" both map to ${variable}`);
    }
    parameterNames.set(variable, name);
    environment.set(variable, formatParameterValue(value));
  }

  for (const [variable, value] of Object.entries(stepOutputsToEnvironment(options.previousOutputs ?? {}))) {
    environment.set(variable, value);
  }

  for (const [variable, value] of Object.entries(options.secretEnv ?? {})) {
    if (!ENVIRONMENT_NAME.test(variable)) {
      throw new InvalidStepError(`secretEnv.${variable}`, `"${variable}" is not a valid environment variable name`);
    }
    if (RESERVED_NAMES.has(variable) || RESERVED_PREFIXES.some((prefix) => variable.startsWith(prefix))) {
      throw new InvalidStepError(`secretEnv.${variable}`, `"${variable}" is reserved for the runner`);
    }
    environment.set(variable, value);
  }

  for (const [variable, value] of environment) {
    // spawn() would throw a TypeError deep inside the runner; say which variable instead.
    if (value.includes('\0')) throw new InvalidStepError(variable, `${variable} contains a NUL byte`);
  }
  return Object.fromEntries(environment);
}
