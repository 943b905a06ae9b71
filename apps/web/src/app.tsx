import { createTheme, localStorageColorSchemeManager, MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import { lazy, type ReactNode, useState } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { AppLayout } from './components/layout/app-layout';
import { RequireSession, SessionExpiryWatcher } from './components/session/require-session';
import { ApprovalsPage } from './pages/approvals-page';
import { CatalogPage } from './pages/catalog-page';
import { ExecutionPage } from './pages/execution-page';
import { HistoryPage } from './pages/history-page';
import { NotFoundPage } from './pages/not-found-page';
import { ProcedureLayout } from './pages/procedure/procedure-layout';
import { ProcedureRunsPage } from './pages/procedure/procedure-runs-page';
import { RunPage } from './pages/procedure/run-page';
import { VersionsPage } from './pages/procedure/versions-page';
import { SignInPage } from './pages/sign-in-page';
import { createQueryClient } from './query-client';

// Pages with heavy dependencies (the code editor) or few users load on demand.
const AuthoringPage = lazy(() => import('./pages/authoring-page'));
const DefinitionPage = lazy(() => import('./pages/procedure/definition-page'));
const VersionReviewPage = lazy(() => import('./pages/procedure/version-review-page'));
const AuditPage = lazy(() => import('./pages/audit-page'));
const AdminPage = lazy(() => import('./pages/admin/admin-page'));
const TokensPage = lazy(() => import('./pages/tokens-page'));

const theme = createTheme({
  primaryColor: 'blue',
  defaultRadius: 'md',
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
  focusRing: 'auto',
});

const colorSchemeManager = localStorageColorSchemeManager({ key: 'switchboard-color-scheme' });

export function App(): ReactNode {
  const [queryClient] = useState(createQueryClient);
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto" colorSchemeManager={colorSchemeManager}>
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <SessionExpiryWatcher />
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
            <Route element={<RequireSession><AppLayout /></RequireSession>}>
              <Route index element={<CatalogPage />} />
              <Route path="procedures/new" element={<AuthoringPage />} />
              <Route path="procedures/:procedureId" element={<ProcedureLayout />}>
                <Route index element={<RunPage />} />
                <Route path="runs" element={<ProcedureRunsPage />} />
                <Route path="definition" element={<DefinitionPage />} />
                <Route path="versions" element={<VersionsPage />} />
                <Route path="versions/:version" element={<VersionReviewPage />} />
                <Route path="edit" element={<AuthoringPage />} />
              </Route>
              <Route path="executions" element={<HistoryPage />} />
              <Route path="executions/:executionId" element={<ExecutionPage />} />
              <Route path="approvals" element={<ApprovalsPage />} />
              <Route path="audit" element={<AuditPage />} />
              <Route path="admin/*" element={<AdminPage />} />
              <Route path="tokens" element={<TokensPage />} />
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
