'use client';
import { useEffect, useId, useState } from 'react';
import type { FieldDescription } from '@peft-lab/sweeps';
import { textToValue, valueToText } from './value-text';

/** One hyperparameter: a labelled text input (value, list or JSON range) with its default, rule and errors. */
export function FieldInput({ field, value, onChange, errors, idPrefix }: {
  field: FieldDescription;
  value: unknown;
  onChange: (v: unknown) => void;
  errors: string[];
  idPrefix: string;
}) {
  const id = `${idPrefix}-${field.name}`;
  const helpId = useId();
  const [text, setText] = useState(valueToText(value));
  // Follow outside changes (YAML edits, presets) without fighting the user's typing.
  useEffect(() => {
    if (JSON.stringify(textToValue(text, field.kind)) !== JSON.stringify(value)) setText(valueToText(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  const placeholder = field.default !== undefined ? `default ${valueToText(field.default)}` : field.unsetMeans ? `default: ${field.unsetMeans}` : field.kind === 'string-list' ? 'model default' : 'not set';
  const hint = field.kind === 'enum' ? `one or more of: ${(field.options ?? []).join(', ')}` : field.kind === 'bool' ? 'true, false or both' : field.kind === 'int' || field.kind === 'float' ? 'a value, a list (4, 8, 16) or a JSON range' : '';
  return (
    <div className={errors.length ? 'field invalid' : 'field'}>
      <label htmlFor={id}>{field.name}</label>
      <input id={id} name={field.name} type="text" value={text} placeholder={placeholder} aria-describedby={helpId} aria-invalid={errors.length > 0}
        onChange={(e) => { setText(e.target.value); onChange(textToValue(e.target.value, field.kind)); }} />
      <small id={helpId}>{field.help} {hint && <>({hint}; {field.rule})</>}
        {errors.map((e) => <span key={e} className="error-text" role="alert"> {e}</span>)}
      </small>
    </div>
  );
}
