import type { Metadata } from 'next';

import { NotesWorkspace } from './notes-workspace';

export const metadata: Metadata = { title: 'New note · Gatehouse' };

export default function NewNotePage() {
  return (
    <>
      <h1>New note</h1>
      <NotesWorkspace />
    </>
  );
}
