export default function Home() {
  return (
    <>
      <h1>Gatehouse reference API</h1>
      <p>
        This application serves a small notes API through every Gatehouse layer. Its pages exist to
        show the layers from a browser: the note form validates with the same schema as the API.
      </p>
      <h2>Endpoints</h2>
      <ul>
        <li>
          <code>GET /api/health</code>
        </li>
        <li>
          <code>GET /api/notes</code>, <code>POST /api/notes</code>
        </li>
        <li>
          <code>GET</code>, <code>PATCH</code>, <code>DELETE /api/notes/&#123;id&#125;</code>
        </li>
      </ul>
    </>
  );
}
