import { describe, expect, it } from 'vitest';
import { parseDefinition } from '@switchboard/procedures';
import { DEMO_PROCEDURES } from './demo-seed';

describe('demo procedures', () => {
  it.each(DEMO_PROCEDURES.map((source) => [/^name: (\S+)/.exec(source)?.[1], source]))('%s is a valid definition', (_name, source) => {
    expect(() => parseDefinition(source as string, 'yaml')).not.toThrow();
  });
});
