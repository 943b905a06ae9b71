import { Checkbox, MultiSelect, NumberInput, PasswordInput, Select, TagsInput, Textarea, TextInput } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { type FieldValue, type ParameterField, ruleHint } from './parameter-fields';

interface Props {
  field: ParameterField;
  value: FieldValue;
  error: string | undefined;
  disabled?: boolean;
  onChange(value: FieldValue): void;
  onBlur(): void;
}

function Description({ field }: { field: ParameterField }): ReactNode {
  const hint = ruleHint(field);
  if (!field.property.description && !hint) return undefined;
  return (
    <>
      {field.property.description}
      {field.property.description && hint ? ' · ' : ''}
      {hint}
    </>
  );
}

/** The right input for one parameter: select, multi-select, number with bounds, masked secret, checkbox, text. */
export function ParameterInput({ field, value, error, disabled, onChange, onBlur }: Props): ReactNode {
  const { property, kind, required, name } = field;
  const [revealed, setRevealed] = useState(false);
  const common = {
    label: field.label,
    description: <Description field={field} />,
    error,
    required,
    disabled,
    onBlur,
    name,
    'data-parameter': name,
  };
  switch (kind) {
    case 'checkbox':
      return (
        <Checkbox
          label={field.label}
          description={<Description field={field} />}
          name={name}
          data-parameter={name}
          checked={Boolean(value)}
          disabled={disabled}
          error={error}
          onChange={(event) => onChange(event.currentTarget.checked)}
          onBlur={onBlur}
        />
      );
    case 'select':
      return (
        <Select
          {...common}
          data={(property.enum ?? []).map(String)}
          value={value === null ? null : String(value)}
          onChange={(next) => onChange(next)}
          clearable={!required}
          allowDeselect={!required}
          searchable={(property.enum?.length ?? 0) > 8}
          comboboxProps={{ withinPortal: true }}
        />
      );
    case 'multiselect':
      return (
        <MultiSelect
          {...common}
          data={(property.items?.enum ?? []).map(String)}
          value={Array.isArray(value) ? value : []}
          onChange={onChange}
          maxValues={property.maxItems}
          clearable
          searchable={(property.items?.enum?.length ?? 0) > 8}
        />
      );
    case 'tags':
      return (
        <TagsInput
          {...common}
          value={Array.isArray(value) ? value : []}
          onChange={onChange}
          maxTags={property.maxItems}
          placeholder="Type a value and press Enter"
          clearable
        />
      );
    case 'number':
      return (
        <NumberInput
          {...common}
          value={typeof value === 'number' || typeof value === 'string' ? value : ''}
          onChange={(next) => onChange(next)}
          min={property.minimum}
          max={property.maximum}
          allowDecimal={property.type !== 'integer'}
          clampBehavior="none"
        />
      );
    case 'secret':
      if (property['x-multiline']) {
        // A multi-line secret (a key, a certificate): masked like a password field until revealed.
        return (
          <Textarea
            {...common}
            value={String(value ?? '')}
            onChange={(event) => onChange(event.currentTarget.value)}
            autosize
            minRows={3}
            autoComplete="off"
            spellCheck={false}
            classNames={{ input: revealed ? undefined : 'masked-text' }}
            inputContainer={(children) => (
              <>
                {children}
                <Checkbox size="xs" mt={4} label="Show" checked={revealed} onChange={(event) => setRevealed(event.currentTarget.checked)} />
              </>
            )}
          />
        );
      }
      return (
        <PasswordInput
          {...common}
          value={String(value ?? '')}
          onChange={(event) => onChange(event.currentTarget.value)}
          autoComplete="new-password"
          spellCheck={false}
        />
      );
    case 'textarea':
      return <Textarea {...common} value={String(value ?? '')} onChange={(event) => onChange(event.currentTarget.value)} autosize minRows={3} maxRows={14} />;
    default:
      return <TextInput {...common} value={String(value ?? '')} onChange={(event) => onChange(event.currentTarget.value)} spellCheck={false} />;
  }
}
