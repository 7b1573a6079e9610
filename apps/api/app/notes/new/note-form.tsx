'use client';

import { issuesByPath, validateInput, type ValidationIssue } from 'gatehouse/validation';
import { useState, type FormEvent } from 'react';

import { NOTE_BODY_MAX, NOTE_TITLE_MAX, NoteInput } from '@/lib/schemas/notes';

type Status =
  | { kind: 'idle' }
  | { kind: 'saving' }
  | { kind: 'saved'; id: string }
  | { kind: 'failed'; detail: string };

/**
 * Validates with the API's own schema and message wording before it submits, then shows the
 * API's answer the same way: a field's message is the one `POST /api/notes` would return.
 */
export function NoteForm({ accessToken }: { accessToken: string }) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<Status>({ kind: 'idle' });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const values = { title: String(form.get('title') ?? ''), body: String(form.get('body') ?? '') };

    const checked = validateInput(NoteInput, values, 'body');
    if (!checked.ok) {
      setErrors(issuesByPath(checked.issues));
      return;
    }

    setErrors({});
    setStatus({ kind: 'saving' });
    const response = await fetch('/api/notes', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify(checked.value),
    });
    const answer = (await response.json()) as {
      id?: string;
      detail?: string;
      errors?: ValidationIssue[];
    };

    if (response.ok && answer.id) {
      setStatus({ kind: 'saved', id: answer.id });
      return;
    }
    setErrors(issuesByPath(answer.errors ?? []));
    setStatus({ kind: 'failed', detail: answer.detail ?? `The API answered ${response.status}.` });
  }

  return (
    <form onSubmit={submit} noValidate aria-label="New note">
      <label htmlFor="title">Title</label>
      <input
        id="title"
        name="title"
        maxLength={NOTE_TITLE_MAX + 50}
        aria-describedby="title-error"
      />
      <p id="title-error" className="error" role="alert">
        {errors['body.title']}
      </p>

      <label htmlFor="body">Note</label>
      <textarea
        id="body"
        name="body"
        rows={8}
        maxLength={NOTE_BODY_MAX + 50}
        aria-describedby="body-error"
      />
      <p id="body-error" className="error" role="alert">
        {errors['body.body']}
      </p>

      <button type="submit" disabled={status.kind === 'saving'}>
        Save note
      </button>
      <p className="status" role="status">
        {status.kind === 'saved' && `Saved as ${status.id}.`}
        {status.kind === 'failed' && status.detail}
      </p>
    </form>
  );
}
