import { lazy, Suspense, useMemo, useState } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Provider, useQuery } from 'urql';
import { createApiClient, describeError, isSignedOut } from './api/client';
import { adminPagesFor, type AdminPage } from './admin-access';
import { MeDocument } from './api/generated';
import { Layout } from './components/layout';
import { Loading, Problem } from './components/status';
import { SignIn } from './pages/sign-in';
import { MeContext } from './session';

// each page is its own chunk: the first page loads only what it shows
const Requests = lazy(() => import('./pages/requests'));
const NewRequest = lazy(() => import('./pages/new-request'));
const RequestDetail = lazy(() => import('./pages/request-detail'));
const Projects = lazy(() => import('./pages/projects'));
const Usage = lazy(() => import('./pages/usage'));
const AdminSites = lazy(() => import('./pages/admin/sites'));
const AdminProjects = lazy(() => import('./pages/admin/projects'));
const AdminTokens = lazy(() => import('./pages/admin/tokens'));
const AdminFairShare = lazy(() => import('./pages/admin/fair-share'));
const AdminAudit = lazy(() => import('./pages/admin/audit'));
const NotFound = lazy(() => import('./pages/not-found'));

/** The portal: the sign-in page until the broker knows who this is, then the pages. */
export function App() {
  // a new client after signing in or out: nothing cached for one person is shown to the next
  const [generation, setGeneration] = useState(0);
  const restart = () => setGeneration((g) => g + 1);
  const client = useMemo(() => createApiClient(restart), [generation]);
  return (
    <Provider value={client}>
      <Session key={generation} onChange={restart} />
    </Provider>
  );
}

function Session({ onChange }: { onChange: () => void }) {
  const [{ data, error, fetching }] = useQuery({ query: MeDocument, requestPolicy: 'network-only' });
  if (fetching && !data) return <Loading what="Skypool" />;
  if (isSignedOut(error)) return <SignIn onSignedIn={onChange} />;
  if (error || !data) return <Problem>{error ? describeError(error) : 'the broker did not say who you are'}</Problem>;
  // an admin page the caller's roles do not allow is not found, whatever its URL
  const allowed = (page: AdminPage) => adminPagesFor(data.me).includes(page);
  return (
    <MeContext.Provider value={data.me}>
      <Layout onSignedOut={onChange}>
        <Suspense fallback={<Loading what="the page" />}>
          <Routes>
            <Route path="/" element={<Navigate to="/requests" replace />} />
            <Route path="/requests" element={<Requests />} />
            <Route path="/requests/new" element={<NewRequest />} />
            <Route path="/requests/:id" element={<RequestDetail />} />
            <Route path="/projects" element={<Projects />} />
            <Route path="/usage" element={<Usage />} />
            {allowed('sites') && <Route path="/admin/sites" element={<AdminSites />} />}
            {allowed('projects') && <Route path="/admin/projects" element={<AdminProjects />} />}
            {allowed('tokens') && <Route path="/admin/tokens" element={<AdminTokens />} />}
            {allowed('fair-share') && <Route path="/admin/fair-share" element={<AdminFairShare />} />}
            {allowed('audit') && <Route path="/admin/audit" element={<AdminAudit />} />}
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </Layout>
    </MeContext.Provider>
  );
}
