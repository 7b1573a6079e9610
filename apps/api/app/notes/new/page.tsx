import type { Metadata } from 'next';

import { NoteForm } from './note-form';

export const metadata: Metadata = { title: 'New note · Gatehouse' };

export default function NewNotePage() {
  return (
    <>
      <h1>New note</h1>
      <NoteForm />
    </>
  );
}
