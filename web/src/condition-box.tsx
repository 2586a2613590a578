/**
 * The condition box: a condition in the rules' language, checked by the server as it is typed
 * (the same compiler as tail --where and the rules), with the error and a caret under its column.
 * Enter or the button applies it; an invalid condition is not applied.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson } from './api';

interface Props {
  value: string;
  onApply: (cond: string) => void;
  placeholder?: string;
  label?: string;
}

export function ConditionBox({ value, onApply, placeholder, label = 'Apply' }: Props) {
  const [text, setText] = useState(value);
  const [error, setError] = useState<{ message: string; col?: number } | undefined>();
  const seq = useRef(0);
  useEffect(() => setText(value), [value]);

  useEffect(() => {
    const n = ++seq.current;
    const t = setTimeout(() => {
      getJson<{ ok: boolean; error?: string; col?: number }>('/api/validate', { where: text }).then(
        (r) => n === seq.current && setError(r.ok ? undefined : { message: r.error ?? 'invalid condition', col: r.col }),
        (e: unknown) => n === seq.current && setError(e instanceof ApiError ? { message: e.message, col: e.col } : { message: String(e) }),
      );
    }, 200);
    return () => clearTimeout(t);
  }, [text]);

  const apply = (ev: Event): void => {
    ev.preventDefault();
    if (!error) onApply(text.trim());
  };
  return (
    <form class="cond" onSubmit={apply}>
      <div class="cond-row">
        <input
          class={`cond-input${error ? ' bad' : ''}`}
          type="text"
          spellcheck={false}
          autocomplete="off"
          aria-label="condition"
          placeholder={placeholder ?? 'condition, e.g. file.path contains secret and not proc.name in (sshd, sudo)'}
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={!!error}>
          {label}
        </button>
      </div>
      {error && (
        <div class="cond-error" role="alert">
          {error.col !== undefined && (
            <pre class="caret">
              {text}
              {'\n'}
              {' '.repeat(Math.max(0, error.col - 1))}^
            </pre>
          )}
          <span>
            {error.col !== undefined ? `column ${error.col}: ` : ''}
            {error.message}
          </span>
        </div>
      )}
    </form>
  );
}
