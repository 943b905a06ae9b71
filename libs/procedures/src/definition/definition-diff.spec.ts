import { describe, expect, it } from 'vitest';
import { diffDefinitions } from './definition-diff';
import { parseDefinition } from './definition-parser';
import type { ProcedureDefinition } from './procedure-definition';
import { EVERY_FIELD_YAML, RESTART_SERVICE_YAML } from './procedure-definition.fixtures';

type Plain = Record<string, unknown>;

function definition(fields: Plain = {}): ProcedureDefinition {
  return parseDefinition(
    {
      name: 'demo',
      parameters: { environment: { type: 'string', enum: ['staging', 'production'] }, dry_run: { type: 'boolean' } },
      steps: [
        { name: 'build', run: 'make\nmake test\n' },
        { name: 'deploy', run: 'deploy --all\n' },
      ],
      ...fields,
    },
    'object',
  );
}

describe('diffDefinitions', () => {
  it('finds nothing between equal definitions', () => {
    const text = parseDefinition(EVERY_FIELD_YAML, 'yaml');
    expect(diffDefinitions(text, parseDefinition(EVERY_FIELD_YAML, 'yaml'))).toEqual([]);
  });

  it('reports changed settings with their values', () => {
    expect(diffDefinitions(definition(), definition({ timeout: '10m', retries: 2 }))).toEqual([
      { path: 'timeout', kind: 'changed', before: 3600, after: 600 },
      { path: 'retries', kind: 'changed', before: 0, after: 2 },
    ]);
  });

  it('reports added and removed optional settings', () => {
    expect(diffDefinitions(definition(), definition({ concurrency: 1, approval: { when: "environment == 'production'" } }))).toEqual([
      { path: 'concurrency', kind: 'added', after: 1 },
      { path: 'approval', kind: 'added', after: { when: "environment == 'production'", approvers: 1 } },
    ]);
    expect(diffDefinitions(definition({ concurrency: 1 }), definition())).toEqual([{ path: 'concurrency', kind: 'removed', before: 1 }]);
  });

  it('reports changes inside nested settings by path', () => {
    const before = definition({ approval: { when: "environment == 'production'", approvers: 1 } });
    const after = definition({ approval: { when: "environment == 'production' and not dry_run", approvers: 2 } });
    expect(diffDefinitions(before, after)).toEqual([
      { path: 'approval.when', kind: 'changed', before: "environment == 'production'", after: "environment == 'production' and not dry_run" },
      { path: 'approval.approvers', kind: 'changed', before: 1, after: 2 },
    ]);
  });

  it('reports parameter changes field by field', () => {
    const after = definition({
      parameters: {
        environment: { type: 'string', enum: ['staging', 'production', 'dr'], default: 'staging' },
        ticket: { type: 'string', required: true },
      },
    });
    expect(diffDefinitions(definition(), after)).toEqual([
      { path: 'parameters.environment.enum', kind: 'changed', before: ['staging', 'production'], after: ['staging', 'production', 'dr'] },
      { path: 'parameters.environment.default', kind: 'added', after: 'staging' },
      { path: 'parameters.dry_run', kind: 'removed', before: { type: 'boolean', required: false } },
      { path: 'parameters.ticket', kind: 'added', after: { type: 'string', required: true, secret: false, multiline: false } },
    ]);
  });

  it('reports a reordering of parameters, which changes the form', () => {
    const after = definition({ parameters: { dry_run: { type: 'boolean' }, environment: { type: 'string', enum: ['staging', 'production'] } } });
    expect(diffDefinitions(definition(), after)).toEqual([
      { path: 'parameters', kind: 'changed', before: ['environment', 'dry_run'], after: ['dry_run', 'environment'] },
    ]);
  });

  it('shows a changed script as a unified line diff', () => {
    const after = definition({ steps: [{ name: 'build', run: 'make\nmake lint\nmake test\n' }, { name: 'deploy', run: 'deploy --all\n' }] });
    expect(diffDefinitions(definition(), after)).toEqual([
      {
        path: 'steps.build.run',
        kind: 'changed',
        before: 'make\nmake test\n',
        after: 'make\nmake lint\nmake test\n',
        diff: '@@ -1,2 +1,3 @@\n make\n+make lint\n make test\n',
      },
    ]);
  });

  it('addresses steps by name, so inserting one does not make the others look changed', () => {
    const after = definition({
      steps: [
        { name: 'build', run: 'make\nmake test\n' },
        { name: 'backup', run: 'backup\n', timeout: '5m' },
        { name: 'deploy', run: 'deploy --all\n' },
      ],
    });
    expect(diffDefinitions(definition(), after)).toEqual([
      { path: 'steps.backup', kind: 'added', after: { kind: 'run', name: 'backup', run: 'backup\n', shell: 'bash', timeout: 300, continue_on_error: false, env: {} } },
    ]);
  });

  it('reports removed steps and reordered steps', () => {
    const reordered = definition({ steps: [{ name: 'deploy', run: 'deploy --all\n' }, { name: 'build', run: 'make\nmake test\n' }] });
    expect(diffDefinitions(definition(), reordered)).toEqual([{ path: 'steps', kind: 'changed', before: ['build', 'deploy'], after: ['deploy', 'build'] }]);
    const removed = definition({ steps: [{ name: 'build', run: 'make\nmake test\n' }] });
    expect(diffDefinitions(definition(), removed)).toEqual([
      { path: 'steps.deploy', kind: 'removed', before: expect.objectContaining({ name: 'deploy', run: 'deploy --all\n' }) },
    ]);
  });

  it('reports a step that changes from a script to an HTTP call', () => {
    const after = definition({ steps: [{ name: 'build', run: 'make\nmake test\n' }, { name: 'deploy', http: { method: 'POST', url: 'https://deploy.test/all' } }] });
    expect(diffDefinitions(definition(), after)).toEqual([
      { path: 'steps.deploy.kind', kind: 'changed', before: 'run', after: 'http' },
      { path: 'steps.deploy.run', kind: 'removed', before: 'deploy --all\n' },
      { path: 'steps.deploy.shell', kind: 'removed', before: 'bash' },
      { path: 'steps.deploy.http', kind: 'added', after: { method: 'POST', url: 'https://deploy.test/all' } },
    ]);
  });

  it('reports changes inside step env, HTTP requests and call params', () => {
    const before = parseDefinition(EVERY_FIELD_YAML, 'yaml');
    const text = EVERY_FIELD_YAML.replace('LOG_LEVEL: debug', 'LOG_LEVEL: info')
      .replace('X-Team: ops', 'X-Team: sre')
      .replace('force: true', 'force: false')
      .replace('tags: [tls, security, "quarterly"]', 'tags: [tls, security]');
    expect(diffDefinitions(before, parseDefinition(text, 'yaml'))).toEqual([
      { path: 'steps.prepare.env.LOG_LEVEL', kind: 'changed', before: 'debug', after: 'info' },
      { path: 'steps.notify-start.http.headers.X-Team', kind: 'changed', before: 'ops', after: 'sre' },
      { path: 'steps.rotate.params.force', kind: 'changed', before: true, after: false },
      { path: 'tags', kind: 'changed', before: ['tls', 'security', 'quarterly'], after: ['tls', 'security'] },
    ]);
  });

  it('gives multi-line descriptions a line diff too', () => {
    const changes = diffDefinitions(definition({ description: 'one\ntwo\n' }), definition({ description: 'one\n2\n' }));
    expect(changes).toEqual([{ path: 'description', kind: 'changed', before: 'one\ntwo\n', after: 'one\n2\n', diff: '@@ -1,2 +1,2 @@\n one\n-two\n+2\n' }]);
  });

  it('returns values that share nothing with the definitions', () => {
    const before = parseDefinition(RESTART_SERVICE_YAML, 'yaml');
    const after = parseDefinition(RESTART_SERVICE_YAML.replace('toil_minutes: 15', 'toil_minutes: 15\ntags: [ops]'), 'yaml');
    const [change] = diffDefinitions(before, after);
    (change.after as string[]).push('mutated');
    expect(after.tags).toEqual(['ops']);
  });
});
