import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { exportDefinition } from './definition-exporter';
import { parseDefinition } from './definition-parser';
import type { ProcedureDefinition } from './procedure-definition';
import { EVERY_FIELD_YAML, MINIMAL_YAML, RESTART_SERVICE_YAML } from './procedure-definition.fixtures';

function roundTrip(definition: ProcedureDefinition): ProcedureDefinition {
  return parseDefinition(exportDefinition(definition), 'yaml');
}

function withScript(run: string): ProcedureDefinition {
  return parseDefinition({ name: 'scripted', steps: [{ name: 'script', run }] }, 'object');
}

describe('exportDefinition', () => {
  it.each([
    ['the architecture example', RESTART_SERVICE_YAML],
    ['a definition using every field', EVERY_FIELD_YAML],
    ['a minimal definition', MINIMAL_YAML],
  ])('round-trips %s exactly', (_name, text) => {
    const definition = parseDefinition(text, 'yaml');
    expect(roundTrip(definition)).toStrictEqual(definition);
  });

  it('is stable: exporting the re-parsed definition gives the same text', () => {
    const once = exportDefinition(parseDefinition(EVERY_FIELD_YAML, 'yaml'));
    expect(exportDefinition(parseDefinition(once, 'yaml'))).toBe(once);
  });

  it('writes the architecture example the way an author would', () => {
    expect(exportDefinition(parseDefinition(RESTART_SERVICE_YAML, 'yaml'))).toBe(`name: restart-service
description: Restart one service in one environment and check it came back.
parameters:
  service: { type: string, required: true, enum: [ api, worker ] }
  environment: { type: string, default: staging, enum: [ staging, production ] }
  reason: { type: string, description: ticket id, pattern: "^[A-Z]+-[0-9]+$" }
  token: { type: string, secret: true }
steps:
  - name: restart
    shell: bash
    run: |
      echo "restarting $PARAM_SERVICE in $PARAM_ENVIRONMENT"
      echo "restarted_at=$(date -u +%FT%TZ)" >> "$SWITCHBOARD_OUTPUT"
  - name: check
    shell: python3
    run: |
      import os; print("checking", os.environ["PARAM_SERVICE"], "since", os.environ["STEP_RESTART_RESTARTED_AT"])
timeout: 10m
retries: 0
retry_delay: 5s
concurrency: 1
worker_group: default
approval:
  when: environment == 'production'
  approvers: 1
notify:
  on: [ failed, timed_out ]
  channels: [ ops-mail ]
toil_minutes: 15
`);
  });

  it('writes every script as a block literal, even a one-liner', () => {
    const text = exportDefinition(parseDefinition(MINIMAL_YAML, 'yaml'));
    expect(text).toContain('    run: |-\n      echo hello\n');
  });

  it('writes durations in their short form', () => {
    const text = exportDefinition(parseDefinition(EVERY_FIELD_YAML, 'yaml'));
    expect(text).toContain('\ntimeout: 1h30m\n');
    expect(text).toContain('\nretry_delay: 1m\n');
    expect(text).toContain('  expires_after: 2d\n');
    expect(text).toContain('      timeout: 30s\n');
  });

  it('leaves out settings equal to their defaults but keeps the operational ones', () => {
    const text = exportDefinition(parseDefinition(MINIMAL_YAML, 'yaml'));
    expect(text).toBe(`name: hello
steps:
  - name: say-hello
    shell: bash
    run: |-
      echo hello
timeout: 1h
retries: 0
retry_delay: 5s
worker_group: default
toil_minutes: 0
`);
  });

  it.each([
    ['leading indentation', '  indented\nsecond\n'],
    ['no trailing newline', 'echo a\necho b'],
    ['several trailing newlines', 'echo a\n\n\n'],
    ['leading blank lines', '\n\necho a\n'],
    ['Windows line endings', 'echo a\r\necho b\r\n'],
    ['tabs', '\tindented with tab\n'],
    ['trailing spaces', 'echo a   \necho b \n'],
    ['a last line of only spaces', 'echo a\n   '],
    ['unicode', 'echo "héllo 🎉 \u2028 \u00a0"\n'],
    ['YAML lookalikes', '- item\nkey: value\n# comment\n--- \n...\n'],
    ['control characters', 'printf "\u0007\u001b[0m"\n'],
    ['a very long line', `echo ${'x'.repeat(5000)}\n`],
  ])('keeps a script with %s exactly', (_case, run) => {
    const definition = withScript(run);
    expect(roundTrip(definition)).toStrictEqual(definition);
  });

  it('falls back to a quoted string for a script a block literal cannot hold', () => {
    const definition = withScript('echo');
    const step = definition.steps[0];
    // Only reachable for definitions built in code: the parser refuses blank scripts.
    const blank: ProcedureDefinition = { ...definition, steps: [{ ...step, kind: 'run', run: ' \n', shell: 'bash' }] };
    const text = exportDefinition(blank);
    expect((parseYaml(text) as { steps: Array<{ run: string }> }).steps[0].run).toBe(' \n');
  });

  it.each([' \n', '\n', '  ', 'a\n\n', '\ttab first', 'ends with newline\n'])('keeps the description %j exactly', (description) => {
    const definition = parseDefinition({ name: 'described', description, steps: [{ name: 'a', run: 'echo' }] }, 'object');
    expect(roundTrip(definition)).toStrictEqual(definition);
  });

  it('keeps strings that look like other YAML types as strings', () => {
    const lookalikes = ['1', 'true', 'null', '~', '0x1F', '1e3', '.inf', 'yes', 'on', '-', 'a: b', '#x', '0o7', '+1', '1_000', '2001-12-14', '@at', '*star', '&amp', '!bang', '%pct', '|pipe', '>gt', "'q'", '"dq"', ' lead', 'trail '];
    const definition = parseDefinition(
      {
        name: 'lookalikes',
        description: 'true',
        parameters: {
          pick: { type: 'string', enum: lookalikes, default: '1', label: 'null', description: '0x10' },
          many: { type: 'array', items: { type: 'string', enum: lookalikes }, default: ['true', 'on'] },
        },
        steps: [
          {
            name: 'call',
            procedure: 'other',
            params: { a: 'false', b: '10', c: ['1', 'null'] },
            env: { A: '1.10', B: 'true', C: '' },
          },
          { name: 'post', http: { method: 'POST', url: 'https://x.test/?a=1#f', headers: { 'X-A': '1' }, body: { n: '2', list: ['true'] } } },
        ],
        tags: ['123', 'true'],
        notify: { on: ['failed'], channels: ['1'] },
        approval: { from: { roles: ['null'], teams: ['2'] } },
      },
      'object',
    );
    expect(roundTrip(definition)).toStrictEqual(definition);
  });

  it('keeps numbers exactly', () => {
    const definition = parseDefinition(
      {
        name: 'numbers',
        parameters: {
          small: { type: 'number', min: -0.000001, max: 1e21, default: 0.1 },
          whole: { type: 'integer', enum: [-3, 0, 9007199254740991] },
        },
        steps: [{ name: 'post', http: { method: 'POST', url: 'https://x.test', body: [1.5, -2, 3e-7, 0] } }],
      },
      'object',
    );
    expect(roundTrip(definition)).toStrictEqual(definition);
  });

  it('produces YAML that a plain YAML reader understands', () => {
    const text = exportDefinition(parseDefinition(EVERY_FIELD_YAML, 'yaml'));
    expect(parseYaml(text)).toMatchObject({ name: 'rotate-certificates', timeout: '1h30m' });
  });

  it('round-trips definitions with many parameters and steps', () => {
    const parameters = Object.fromEntries(
      Array.from({ length: 50 }, (_, index) => [`p${index}`, index % 2 === 0 ? { type: 'integer', min: index, default: index } : { type: 'string', description: `line one\nline ${index}` }]),
    );
    const steps = Array.from({ length: 50 }, (_, index) => ({ name: `step-${index}`, run: `echo ${index}\n`.repeat(index + 1), timeout: index + 1 }));
    const definition = parseDefinition({ name: 'big', parameters, steps }, 'object');
    expect(roundTrip(definition)).toStrictEqual(definition);
  });

  it('round-trips random text made of YAML-significant characters', () => {
    const alphabet = [' ', '  ', '\n', '\t', 'a', 'Z', '#', ':', ': ', '-', '- ', '"', "'", '\\', '\r', 'é', '🎉', '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '%', '@', '`', '?', '~', 'null', 'true', '0', '1e3', '\u0085', '\u00a0', '\ufeff'];
    let state = 7;
    const random = (): number => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    const text = (length: number): string => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    for (let round = 0; round < 50; round += 1) {
      const value = text(1 + Math.floor(random() * 12));
      const definition = parseDefinition(
        {
          name: 'fuzz',
          description: text(Math.floor(random() * 12)),
          parameters: { p: { type: 'string', enum: [value, `${value}x`], default: value, description: text(5) } },
          steps: [
            { name: 'script', run: `x${value}`, env: { V: value } },
            { name: 'call', procedure: 'other', params: { v: value, list: [value] } },
          ],
          tags: [`t${value}`.slice(0, 50)],
        },
        'object',
      );
      expect(roundTrip(definition), JSON.stringify(value)).toStrictEqual(definition);
    }
  });
});
