import type { Client } from 'pg';
import { AccessSession } from './access-session';
import { ACCESS_ADMIN_PASSWORD, ACCESS_ADMIN_USERNAME } from './access-stack';

const USER_PASSWORD = 'bench-access-user-password';
const NEEDLE_YAML = 'name: needle\ndescription: the one procedure the runner may run\nsteps:\n  - name: go\n    run: echo hi\n';

export interface Catalog {
  needleId: string;
  needleProjectId: string;
  bulkProjectIds: string[];
  /** The project the viewer is bound to, and how many procedures it holds. */
  viewerProjectId: string;
  viewerVisible: number;
  /** Procedures in the catalog, the needle included. */
  total: number;
  admin: { cookie: AccessSession; token: AccessSession };
  /** Bound as runner to the needle procedure only. */
  runner: { userId: string; cookie: AccessSession; token: AccessSession };
  /** Bound as viewer to one bulk project. */
  viewer: { userId: string; token: AccessSession };
}

async function createUser(admin: AccessSession, username: string): Promise<string> {
  return (await admin.post<{ id: string }>('/api/v1/users', { username, password: USER_PASSWORD }, 201)).id;
}

async function bind(admin: AccessSession, userId: string, role: string, scope: { type: 'project' | 'procedure'; id: string }): Promise<void> {
  await admin.post('/api/v1/role-bindings', { subject: { type: 'user', id: userId }, role, scope }, 201);
}

/**
 * The catalog of the acceptance criterion: one real procedure created through the API (the
 * needle), `bulk` more inserted by SQL over `projects` projects, then ANALYZE. Users, bindings and
 * tokens go through the API, so they are exactly what production would hold.
 */
export async function seedCatalog(baseUrl: string, db: Client, options: { bulk: number; projects: number }): Promise<Catalog> {
  const adminCookie = await AccessSession.login(baseUrl, ACCESS_ADMIN_USERNAME, ACCESS_ADMIN_PASSWORD);
  const adminToken = AccessSession.withToken(baseUrl, await adminCookie.createToken('bench-access-admin'));

  const needleProjectId = (await adminCookie.post<{ id: string }>('/api/v1/projects', { name: 'needle-project' }, 201)).id;
  const needleId = (await adminCookie.post<{ id: string }>(`/api/v1/projects/${needleProjectId}/procedures`, NEEDLE_YAML, 201, 'application/yaml')).id;
  const bulkProjectIds: string[] = [];
  for (let i = 1; i <= options.projects; i += 1) {
    bulkProjectIds.push((await adminCookie.post<{ id: string }>('/api/v1/projects', { name: `bulk-${String(i).padStart(2, '0')}` }, 201)).id);
  }
  await db.query(
    `INSERT INTO procedures (project_id, name, description, latest_version)
     SELECT ($1::uuid[])[1 + (g % cardinality($1::uuid[]))], 'op-' || lpad(g::text, 6, '0'), 'bulk procedure number ' || g, 1
       FROM generate_series(1, $2::int) g`,
    [bulkProjectIds, options.bulk],
  );
  await db.query('ANALYZE procedures');
  await db.query('ANALYZE projects');
  const [{ total }] = (await db.query<{ total: number }>('SELECT count(*)::int AS total FROM procedures WHERE archived_at IS NULL')).rows;
  const viewerProjectId = bulkProjectIds[0];
  const [{ visible }] = (await db.query<{ visible: number }>('SELECT count(*)::int AS visible FROM procedures WHERE project_id = $1 AND archived_at IS NULL', [viewerProjectId])).rows;

  const runnerId = await createUser(adminCookie, 'bench-runner');
  await bind(adminCookie, runnerId, 'runner', { type: 'procedure', id: needleId });
  const runnerCookie = await AccessSession.login(baseUrl, 'bench-runner', USER_PASSWORD);
  const runnerToken = AccessSession.withToken(baseUrl, await runnerCookie.createToken('bench-access-runner'));

  const viewerId = await createUser(adminCookie, 'bench-viewer');
  await bind(adminCookie, viewerId, 'viewer', { type: 'project', id: viewerProjectId });
  const viewerCookie = await AccessSession.login(baseUrl, 'bench-viewer', USER_PASSWORD);
  const viewerToken = AccessSession.withToken(baseUrl, await viewerCookie.createToken('bench-access-viewer'));

  return {
    needleId, needleProjectId, bulkProjectIds, viewerProjectId, viewerVisible: visible, total,
    admin: { cookie: adminCookie, token: adminToken },
    runner: { userId: runnerId, cookie: runnerCookie, token: runnerToken },
    viewer: { userId: viewerId, token: viewerToken },
  };
}
