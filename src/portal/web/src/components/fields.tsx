import { FieldError, Input, Label, Text, TextArea as AriaTextArea, TextField } from 'react-aria-components';

interface FieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** what is wrong, in words: shown under the field and tied to it for screen readers */
  error?: string;
  description?: string;
}

export function TextInput({ label, value, onChange, error, description, inputMode }: FieldProps & { inputMode?: 'numeric' | 'decimal' }) {
  return (
    <TextField className="field" value={value} onChange={onChange} isInvalid={!!error}>
      <Label>{label}</Label>
      <Input inputMode={inputMode} />
      {description && <Text slot="description">{description}</Text>}
      <FieldError className="field-error">{error}</FieldError>
    </TextField>
  );
}

export function TextArea({ label, value, onChange, error, description }: FieldProps) {
  return (
    <TextField className="field" value={value} onChange={onChange} isInvalid={!!error}>
      <Label>{label}</Label>
      <AriaTextArea rows={3} />
      {description && <Text slot="description">{description}</Text>}
      <FieldError className="field-error">{error}</FieldError>
    </TextField>
  );
}
