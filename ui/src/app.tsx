import { ComparePage } from './pages/compare-page.tsx';
import { ExperimentsPage } from './pages/experiments-page.tsx';
import { HealthPage } from './pages/health-page.tsx';
import { ModelPage } from './pages/model-page.tsx';
import { ModelVersionPage } from './pages/model-version-page.tsx';
import { RegistryPage } from './pages/registry-page.tsx';
import { RunPage } from './pages/run-page.tsx';
import { RunsPage } from './pages/runs-page.tsx';
import { Link, useLocation } from './router.tsx';

export function App() {
  const location = useLocation();
  const runMatch = /^\/runs\/([^/]+)\/?$/.exec(location.path);
  const modelMatch = /^\/models\/([^/]+)\/?$/.exec(location.path);
  const versionMatch = /^\/models\/([^/]+)\/versions\/([^/]+)\/?$/.exec(location.path);
  let page;
  if (runMatch) page = <RunPage runId={decodeURIComponent(runMatch[1]!)} query={location.query} />;
  else if (location.path === '/runs' || location.path === '/runs/') page = <RunsPage query={location.query} />;
  else if (versionMatch)
    page = (
      <ModelVersionPage name={decodeURIComponent(versionMatch[1]!)} version={decodeURIComponent(versionMatch[2]!)} />
    );
  else if (modelMatch) page = <ModelPage name={decodeURIComponent(modelMatch[1]!)} />;
  else if (location.path === '/models') page = <RegistryPage query={location.query} />;
  else if (location.path === '/compare') page = <ComparePage query={location.query} />;
  else if (location.path === '/cluster') page = <HealthPage />;
  else if (location.path === '/' || location.path === '/experiments') page = <ExperimentsPage query={location.query} />;
  else page = <NotFound path={location.path} />;
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          Plumb
        </Link>
        <nav aria-label="Main">
          <Link to="/experiments">Experiments</Link>
          <Link to="/models">Models</Link>
          <Link to="/cluster">Health</Link>
        </nav>
      </header>
      <main className="page">{page}</main>
    </div>
  );
}

function NotFound(props: { path: string }) {
  return (
    <div className="state state-error" role="alert">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{props.path}</code>. <Link to="/experiments">Go to experiments</Link>.
      </p>
    </div>
  );
}
