import { Link } from "../router.js";

export function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no such page. Go to the <Link to="/">overview</Link>.
      </p>
    </>
  );
}
