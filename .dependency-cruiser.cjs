/** Dependencies point one way: apps → domain libs → access, audit → core (STYLE.md). */
const DOMAIN = '(identity|procedures|executions|runner|notifications)';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    { name: 'libs-never-import-apps', severity: 'error', from: { path: '^libs/' }, to: { path: '^apps/' } },
    { name: 'apps-never-import-each-other', severity: 'error', from: { path: '^apps/([^/]+)/' }, to: { path: '^apps/', pathNot: '^apps/$1/' } },
    { name: 'core-depends-on-no-lib', severity: 'error', from: { path: '^libs/core/' }, to: { path: '^libs/', pathNot: '^libs/core/' } },
    { name: 'runner-is-pure', severity: 'error', from: { path: '^libs/runner/' }, to: { path: '^libs/', pathNot: '^libs/runner/' } },
    {
      name: 'access-and-audit-depend-only-on-core',
      severity: 'error',
      from: { path: '^libs/(access|audit)/' },
      to: { path: '^libs/', pathNot: ['^libs/core/', '^libs/access/', '^libs/audit/'] },
    },
    {
      name: 'domain-libs-never-import-platform',
      severity: 'error',
      from: { path: `^libs/${DOMAIN}/` },
      to: { path: '^libs/platform/' },
    },
    {
      name: 'only-through-index',
      comment: "A lib's index.ts is its only public door.",
      severity: 'error',
      from: { path: '^(apps|libs)/([^/]+)/' },
      to: { path: '^libs/([^/]+)/src/.+', pathNot: ['^libs/$2/', '^libs/[^/]+/src/index\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: ['node_modules', 'dist', '\\.spec\\.ts$'] },
  },
};
