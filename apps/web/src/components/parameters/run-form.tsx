import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { type FormEvent, type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import type { ApprovalRule, ParameterSchema } from '../../api/types';
import { type FieldValue, type FormValues, formProblems, initialValues, orderedFields, toParams } from './parameter-fields';
import { ParameterInput } from './parameter-input';

interface Props {
  schema: ParameterSchema | null | undefined;
  approval: ApprovalRule | null | undefined;
  /** Absent in a preview: the form is drawn but cannot be submitted. */
  onSubmit?: (params: Record<string, unknown>) => void;
  submitting?: boolean;
  /** The server's per-parameter messages (from a 422), by parameter name. */
  serverErrors?: Record<string, string>;
  /** The server's messages that name no parameter. */
  generalErrors?: string[];
  submitLabel?: string;
}

// Stable defaults: a fresh `{}` per render would re-run the effect below on every render.
const NO_ERRORS: Record<string, string> = {};
const NO_MESSAGES: string[] = [];

export function ApprovalNote({ approval }: { approval: ApprovalRule | null | undefined }): ReactNode {
  if (!approval) return null;
  const who = approval.approvers === 1 ? 'one approver' : `${approval.approvers} approvers`;
  return (
    <Alert variant="light" color="yellow" title="This run may need approval" data-testid="approval-note">
      {approval.when ? (
        <>
          When <Text span ff="monospace" fz="sm">{approval.when}</Text>, the run waits until {who} other than you approve it.
        </>
      ) : (
        <>Every run waits until {who} other than you approve it.</>
      )}
    </Alert>
  );
}

/** The run form generated from a procedure's parameter schema. */
export function RunForm({ schema, approval, onSubmit, submitting, serverErrors = NO_ERRORS, generalErrors = NO_MESSAGES, submitLabel = 'Run' }: Props): ReactNode {
  const fields = useMemo(() => orderedFields(schema), [schema]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const [dismissedServer, setDismissedServer] = useState<Record<string, boolean>>({});
  const formRef = useRef<HTMLFormElement>(null);

  // A new schema (the preview while editing) keeps what was typed for fields that still exist.
  useEffect(() => {
    setValues((previous) => {
      const fresh = initialValues(fields);
      for (const field of fields) if (field.name in previous && typeof previous[field.name] === typeof fresh[field.name]) fresh[field.name] = previous[field.name];
      return fresh;
    });
  }, [fields]);

  // New server errors are shown until the runner edits the field they are about.
  useEffect(() => setDismissedServer({}), [serverErrors]);

  const problems = formProblems(fields, values);

  const errorOf = (name: string): string | undefined => {
    if (serverErrors[name] && !dismissedServer[name]) return serverErrors[name];
    return touched[name] || submitted ? problems[name] : undefined;
  };

  const change = (name: string, value: FieldValue): void => {
    setValues((previous) => ({ ...previous, [name]: value }));
    setDismissedServer((previous) => ({ ...previous, [name]: true }));
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (!onSubmit) return;
    if (Object.keys(problems).length > 0) {
      // Take keyboard users to the first field that needs attention.
      const first = fields.find((field) => problems[field.name]);
      formRef.current?.querySelector<HTMLElement>(`[data-parameter="${first?.name}"]`)?.focus();
      return;
    }
    onSubmit(toParams(fields, values));
  };

  const invalidCount = submitted ? Object.keys(problems).length : 0;
  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-label="Run parameters">
      <Stack gap="md">
        {fields.length === 0 && <Text c="dimmed">This procedure takes no parameters.</Text>}
        {fields.map((field) => (
          <ParameterInput
            key={field.name}
            field={field}
            value={values[field.name] ?? null}
            error={errorOf(field.name)}
            onChange={(value) => change(field.name, value)}
            onBlur={() => setTouched((previous) => ({ ...previous, [field.name]: true }))}
          />
        ))}
        <ApprovalNote approval={approval} />
        {generalErrors.length > 0 && (
          <Alert color="red" title="The server refused this run" role="alert">
            {generalErrors.map((message) => <div key={message}>{message}</div>)}
          </Alert>
        )}
        {onSubmit && (
          <Group>
            <Button type="submit" loading={submitting}>{submitLabel}</Button>
            {invalidCount > 0 && <Text c="red" size="sm" role="status">{invalidCount === 1 ? 'One field needs attention.' : `${invalidCount} fields need attention.`}</Text>}
          </Group>
        )}
      </Stack>
    </form>
  );
}
