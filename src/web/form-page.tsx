// A chat form as a web page: the same form definition chat shows as a Slack modal or a Teams card (bot/forms.ts),
// with its fields as labelled inputs, each error beside its field, and the session's CSRF token. Pure.
import type { FC } from 'hono/jsx';
import type { Form, FormField } from '../bot/view-model.js';
import { Layout, type Who } from './pages.js';

const Field: FC<{ field: FormField; error?: string; value?: string | string[] }> = ({ field, error, value }) => {
  const id = `f-${field.name}`;
  const described = [field.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const current = value ?? field.initial;
  const label = `${field.label}${field.optional ? ' (optional)' : ''}`;
  if (field.kind === 'multi')
    return (
      <fieldset aria-describedby={described}>
        <legend>{label}</legend>
        {(field.options ?? []).map((o, i) => (
          <div>
            <input
              type="checkbox"
              id={`${id}-${i}`}
              name={field.name}
              value={o.value}
              checked={Array.isArray(current) ? current.includes(o.value) : current === o.value}
            />
            <label for={`${id}-${i}`}>{o.label}</label>
          </div>
        ))}
        {field.hint ? <p id={`${id}-hint`}>{field.hint}</p> : null}
        {error ? (
          <p id={`${id}-error`} class="error">
            {error}
          </p>
        ) : null}
      </fieldset>
    );
  const text = Array.isArray(current) ? current[0] : current;
  return (
    <p>
      <label for={id}>{label}</label>
      {field.kind === 'choice' ? (
        <select id={id} name={field.name} aria-describedby={described}>
          {(field.options ?? []).map((o) => (
            <option value={o.value} selected={o.value === text}>
              {o.label}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={field.name}
          type={field.kind === 'date' ? 'date' : field.kind === 'number' ? 'number' : 'text'}
          value={text ?? ''}
          required={!field.optional}
          aria-describedby={described}
          aria-invalid={error ? 'true' : undefined}
        />
      )}
      {field.hint ? <span id={`${id}-hint`}> {field.hint}</span> : null}
      {error ? (
        <span id={`${id}-error`} class="error">
          {' '}
          {error}
        </span>
      ) : null}
    </p>
  );
};

export const FormPage: FC<{
  who: Who;
  form: Form;
  errors?: Record<string, string>;
  values?: Record<string, string | string[]>;
}> = ({ who, form, errors = {}, values = {} }) => (
  <Layout title={form.title} who={who}>
    {form.intro ? <p>{form.intro}</p> : null}
    {Object.keys(errors).length ? (
      <p class="error" role="alert">
        The form has {String(Object.keys(errors).length)} problem(s): see below.
      </p>
    ) : null}
    <form method="post" action={`/schools/${form.meta.d}/forms/${form.id}`}>
      <input type="hidden" name="csrf" value={who.csrf} />
      {form.meta.u ? <input type="hidden" name="u" value={form.meta.u} /> : null}
      {form.fields.map((f) => (
        <Field field={f} error={errors[f.name]} value={values[f.name]} />
      ))}
      <button type="submit" class="primary">
        {form.submit}
      </button>{' '}
      <a href={`/schools/${form.meta.d}`}>Cancel</a>
    </form>
  </Layout>
);
