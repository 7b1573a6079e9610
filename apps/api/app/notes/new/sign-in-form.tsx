'use client';

import { issuesByPath, validateInput, type ValidationIssue } from 'gatehouse/validation';
import { useState, type FormEvent } from 'react';

import { Credentials } from '@/lib/schemas/auth';

import type { TokenAnswer } from './session';

/** Signs in with the API's own credential schema; shows field messages and the API's answer. */
export function SignInForm({ onSignedIn }: { onSignedIn(accessToken: string): void }) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState('');

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const values = {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
    };

    const checked = validateInput(Credentials, values, 'body');
    setErrors(checked.ok ? {} : issuesByPath(checked.issues));
    if (!checked.ok) return;

    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(checked.value),
    });
    const answer = (await response.json()) as Partial<TokenAnswer> & {
      detail?: string;
      errors?: ValidationIssue[];
    };
    if (response.ok && answer.access_token) {
      onSignedIn(answer.access_token);
      return;
    }
    setErrors(issuesByPath(answer.errors ?? []));
    setFailure(answer.detail ?? `The API answered ${response.status}.`);
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Sign in">
      <label htmlFor="email">Email</label>
      <input id="email" name="email" type="email" autoComplete="username" />
      <p className="error" role="alert">
        {errors['body.email']}
      </p>

      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" />
      <p className="error" role="alert">
        {errors['body.password']}
      </p>

      <button type="submit">Sign in</button>
      <p className="status" role="status">
        {failure}
      </p>
    </form>
  );
}
