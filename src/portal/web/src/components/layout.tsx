import type { ReactNode } from 'react';
import { Button } from 'react-aria-components';
import { NavLink } from 'react-router';
import { ADMIN_PAGES, adminPagesFor } from '../admin-access';
import { useMe } from '../session';
import { signOut } from '../sign-in-api';

/** The frame of every page: a skip link, the navigation, who is signed in, and the page. */
export function Layout({ children, onSignedOut }: { children: ReactNode; onSignedOut: () => void }) {
  const me = useMe();
  const adminPages = adminPagesFor(me);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to the page
      </a>
      <header className="top-bar">
        <span className="brand">Skypool</span>
        <nav aria-label="Main">
          <NavLink to="/requests" end>
            Requests
          </NavLink>
          <NavLink to="/requests/new">New request</NavLink>
          <NavLink to="/projects">Projects</NavLink>
          <NavLink to="/usage">Usage</NavLink>
        </nav>
        {adminPages.length > 0 && (
          <nav aria-label="Admin" className="admin-nav">
            {ADMIN_PAGES.filter((page) => adminPages.includes(page.path)).map((page) => (
              <NavLink key={page.path} to={`/admin/${page.path}`}>
                {page.label}
              </NavLink>
            ))}
          </nav>
        )}
        <span className="who">{me.name}</span>
        <Button className="button quiet" onPress={() => void signOut().then(onSignedOut)}>
          Sign out
        </Button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
