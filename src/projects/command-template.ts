import { MlflowError } from '../core/errors.ts';

/** Python's shlex.quote: a value safe to paste into a POSIX shell command as one word. */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Python's `str.format` as MLflow applies it to an entry point's command: `{name}` is replaced by
 * the (already quoted) value, `{{` and `}}` are literal braces. A name with no value is an error
 * rather than a silent empty string.
 */
export function formatCommand(template: string, values: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '{' && template[i + 1] === '{') {
      out += '{';
      i++;
    } else if (c === '}' && template[i + 1] === '}') {
      out += '}';
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) throw MlflowError.invalidParameter(`MLproject: unmatched '{' in command: ${template}`);
      const name = template.slice(i + 1, end).trim();
      const value = values[name];
      if (value === undefined) {
        throw MlflowError.invalidParameter(
          `MLproject: the command uses {${name}}, which is not a parameter of the entry point`,
        );
      }
      out += value;
      i = end;
    } else if (c === '}') {
      throw MlflowError.invalidParameter(`MLproject: single '}' in command: ${template}`);
    } else out += c;
  }
  return out;
}
