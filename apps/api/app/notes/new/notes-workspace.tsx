'use client';

import { useEffect, useState } from 'react';

import { NoteForm } from './note-form';
import { resumeSession } from './session';
import { SignInForm } from './sign-in-form';

type SessionState =
  { kind: 'checking' } | { kind: 'signed-out' } | { kind: 'signed-in'; token: string };

/** Resumes a session from the refresh cookie, or asks to sign in, then shows the note form. */
export function NotesWorkspace() {
  const [session, setSession] = useState<SessionState>({ kind: 'checking' });

  useEffect(() => {
    let current = true;
    void resumeSession().then((token) => {
      if (current) setSession(token ? { kind: 'signed-in', token } : { kind: 'signed-out' });
    });
    return () => {
      current = false;
    };
  }, []);

  if (session.kind === 'checking') return <p role="status">Checking your session…</p>;
  if (session.kind === 'signed-out') {
    return <SignInForm onSignedIn={(token) => setSession({ kind: 'signed-in', token })} />;
  }
  return <NoteForm accessToken={session.token} />;
}
