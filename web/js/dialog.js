// Small modal dialogs (the confirmations of Block, Mute, Report, Resolve, Suspend): a native
// <dialog> opened with showModal(), so the browser keeps focus inside it, makes the rest of
// the page inert and closes it on Escape. It is labelled by its title and described by its
// text; focus starts on its first field (or on Cancel when it only asks "are you sure?", so
// that Enter never confirms something destructive by accident) and goes back to the button
// that opened it. The action runs inside the dialog: its button says it is busy, and the
// server's refusal is shown there, next to the field it names, with nothing typed lost.

import { h } from './dom.js';

let seq = 0;

/**
 * Open a dialog; resolves to what `onSubmit` answered, or null when cancelled.
 *
 * `title` and `text` say what will happen; `fields` are nodes inside the form (inputs with a
 * `name`); `submitLabel` names the action, `danger` paints it red. `onSubmit(form)` runs on
 * submit and may return a promise; when it throws, the dialog stays open and shows the
 * error (by its field, when the error names one the form has).
 */
export function openDialog({ title, text = null, fields = [], submitLabel = 'OK', danger = false, onSubmit = () => true, className = '' }) {
  const n = ++seq;
  const ids = { title: `dialog-${n}-title`, text: `dialog-${n}-text`, error: `dialog-${n}-error` };
  const opener = document.activeElement;
  const error = h('p', { className: 'form-error', id: ids.error, role: 'alert' });
  const cancel = h('button', { type: 'button', className: 'btn btn-quiet btn-small', value: 'cancel' }, 'Cancel');
  const submit = h('button', { type: 'submit', className: `btn btn-small ${danger ? 'btn-danger' : 'btn-primary'}` }, submitLabel);
  const form = h('form', { className: 'dialog-form', noValidate: true },
    h('h2', { className: 'dialog-title', id: ids.title }, title),
    text ? h('p', { className: 'dialog-text', id: ids.text }, text) : null,
    fields,
    error,
    h('div', { className: 'dialog-bar' }, cancel, submit));
  const dialog = h('dialog', {
    className: `dialog ${className}`.trim(),
    'aria-labelledby': ids.title,
    'aria-describedby': text ? ids.text : null,
  }, form);

  return new Promise((resolve) => {
    let result = null;
    let busy = false;
    const clearFieldErrors = () => {
      for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
      for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
      error.textContent = '';
    };
    cancel.addEventListener('click', () => dialog.close());
    // Escape closes (the browser's 'cancel'), except while the action is on its way.
    dialog.addEventListener('cancel', (e) => { if (busy) e.preventDefault(); });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(result);
    });
    form.addEventListener('input', clearFieldErrors);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (busy) return;
      busy = true;
      clearFieldErrors();
      submit.disabled = true;
      cancel.disabled = true;
      const label = submit.textContent;
      submit.textContent = `${label}…`;
      submit.setAttribute('aria-busy', 'true');
      try {
        result = await onSubmit(form);
        busy = false;
        dialog.close();
        return;
      } catch (err) {
        showError(form, error, err);
      } finally {
        busy = false;
        submit.disabled = false;
        cancel.disabled = false;
        submit.textContent = label;
        submit.removeAttribute('aria-busy');
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = form.querySelector('input:not([type="hidden"]):not(:disabled), textarea, select');
    (first || cancel).focus();
  });
}

/** Show `err` by the field it names (its `.field-error` and aria-invalid), else above the buttons. */
function showError(form, box, err) {
  const message = (err && err.message) || 'Something went wrong. Try again.';
  const field = err && err.field ? form.querySelector(`[name="${CSS.escape(err.field)}"]`) : null;
  const fieldError = field && field.closest('.field') && field.closest('.field').querySelector('.field-error');
  if (field && fieldError) {
    fieldError.textContent = message;
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  } else {
    box.textContent = message;
  }
}

/**
 * A labelled multi-line text field for a dialog: `name`, `label`, `max` characters (counted
 * as the server counts, in Unicode scalar values), `required` when it may not be empty.
 * The counter and the error are the field's description.
 */
export function textField({ name, label, max, required = false, rows = 4, placeholder = '' }) {
  const n = ++seq;
  const id = `dialog-field-${n}`;
  const count = h('span', { className: 'field-count', id: `${id}-count` });
  const fieldError = h('p', { className: 'field-error', id: `${id}-error` });
  const control = h('textarea', {
    id, name, rows, placeholder, required,
    'aria-describedby': `${id}-count ${id}-error`,
  });
  const paint = () => {
    const used = [...control.value.trim()].length;
    count.textContent = `${used}/${max}`;
    count.classList.toggle('over', used > max);
  };
  control.addEventListener('input', paint);
  paint();
  return h('div', { className: 'field' },
    h('div', { className: 'field-label' }, h('label', { htmlFor: id }, label), count),
    control, fieldError);
}

/**
 * Check a dialog's text field before asking the server: empty (when required) or longer
 * than `max` characters throws an error naming the field, which the dialog shows by it.
 */
export function checkText(form, name, { max, required = false, what = 'This' }) {
  const value = form.elements[name].value.trim();
  const length = [...value].length;
  if (required && !length) throw Object.assign(new Error(`${what} can’t be empty.`), { field: name });
  if (length > max) throw Object.assign(new Error(`${what} can be at most ${max} characters.`), { field: name });
  return value;
}
