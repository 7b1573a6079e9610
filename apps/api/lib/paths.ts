/** The API's own paths, for links built from configuration. */
export const notePath = (id: string) => `/api/notes/${encodeURIComponent(id)}`;
