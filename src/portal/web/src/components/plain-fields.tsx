import { useId, type ReactNode } from 'react';

interface PlainFieldProps {
  label: string;
  /** what is wrong, in words: shown under the field and tied to it for screen readers */
  error?: string;
  description?: string;
}

/** The ids a native control is described by: its description, then its error (when there is one). */
function describedBy(id: string, description: string | undefined, error: string | undefined): string | undefined {
  const ids = [description ? `${id}-description` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Below({ id, description, error }: { id: string; description?: string; error?: string }) {
  return (
    <>
      {description && (
        <span id={`${id}-description`} className="hint">
          {description}
        </span>
      )}
      <span id={`${id}-error`} className="field-error">
        {error}
      </span>
    </>
  );
}

/** A native <select> with its label, description and error, laid out as the other fields. */
export function SelectField({ label, value, onChange, error, description, children, isDisabled }: PlainFieldProps & { value: string; onChange: (value: string) => void; children: ReactNode; isDisabled?: boolean }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} disabled={isDisabled} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, description, error)}>
        {children}
      </select>
      <Below id={id} description={description} error={error} />
    </div>
  );
}

/** A native date field (the browser's own picker, by keyboard too); its value is YYYY-MM-DD or ''. */
export function DateInput({ label, value, onChange, error, description, min }: PlainFieldProps & { value: string; onChange: (value: string) => void; min?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="date" value={value} min={min} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, description, error)} />
      <Below id={id} description={description} error={error} />
    </div>
  );
}
