import { Link } from 'react-router';

export default function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{location.pathname}</code>. <Link to="/requests">Your requests</Link> are here.
      </p>
    </>
  );
}
