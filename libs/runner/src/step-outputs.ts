import { toEnvironmentName } from './environment-name';

export const DEFAULT_STEP_OUTPUT_LIMITS: StepOutputLimits = { maxBytes: 1024 * 1024, maxKeys: 100 };

export interface StepOutputLimits {
  maxBytes: number;
  maxKeys: number;
}

/** The `$SWITCHBOARD_OUTPUT` file of a step is not in a form the runner accepts. */
export class StepOutputsError extends Error {
  override readonly name = 'StepOutputsError';
}

const KEY = '[A-Za-z_][A-Za-z0-9_]*';
const SINGLE_LINE = new RegExp(`^(${KEY})=(.*)$`, 's');
const MULTILINE_START = new RegExp(`^(${KEY})<<(.+)$`, 's');

/**
 * Parses what a step wrote to `$SWITCHBOARD_OUTPUT`: `key=value` lines and the GitHub Actions
 * multiline form (`key<<EOF` … `EOF`). A key written twice keeps its last value.
 */
export function parseStepOutputs(
  content: string,
  limits: StepOutputLimits = DEFAULT_STEP_OUTPUT_LIMITS,
): Record<string, string> {
  const size = Buffer.byteLength(content);
  if (size > limits.maxBytes) {
    throw new StepOutputsError(`outputs are ${size} bytes, more than the limit of ${limits.maxBytes}`);
  }
  const outputs = new Map<string, string>();
  const lines = content.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    if (line.trim() === '' || line.startsWith('#')) continue;
    const multiline = MULTILINE_START.exec(line);
    if (multiline) {
      const [, key, delimiter] = multiline;
      const end = lines.indexOf(delimiter, index + 1);
      if (end === -1) {
        throw new StepOutputsError(`line ${index + 1}: no closing "${delimiter}" for multiline output "${key}"`);
      }
      outputs.set(key, lines.slice(index + 1, end).join('\n'));
      index = end;
    } else {
      const single = SINGLE_LINE.exec(line);
      if (!single) throw new StepOutputsError(`line ${index + 1}: expected key=value or key<<DELIMITER`);
      outputs.set(single[1], single[2]);
    }
    if (outputs.size > limits.maxKeys) {
      throw new StepOutputsError(`more than ${limits.maxKeys} output keys`);
    }
  }
  for (const [key, value] of outputs) {
    // The outputs of a step become environment variables of later steps, which cannot hold NUL.
    if (value.includes('\0')) throw new StepOutputsError(`output "${key}" contains a NUL byte`);
  }
  return Object.fromEntries(outputs);
}

/**
 * The `STEP_<STEP>_<KEY>` variables later steps see. Names that collide once upper-cased
 * (`url` and `URL`) resolve to the last one given.
 */
export function stepOutputsToEnvironment(
  outputsByStep: Readonly<Record<string, Readonly<Record<string, string>>>>,
): Record<string, string> {
  const environment = new Map<string, string>();
  for (const [step, outputs] of Object.entries(outputsByStep)) {
    for (const [key, value] of Object.entries(outputs)) {
      environment.set(toEnvironmentName('STEP', step, key), value);
    }
  }
  return Object.fromEntries(environment);
}
