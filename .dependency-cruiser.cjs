// Layering rules from shared/ARCHITECTURE.md: imports only point left along
// core <- kernel <- protocol <- transport <- app <- api <- cli; config depends on core only.
const layer = (name) => `^src/${name}/`;
const forbid = (from, targets, comment) => ({
  name: `${from}-not-to-${targets.join('-')}`,
  comment,
  severity: 'error',
  from: { path: layer(from) },
  to: { path: `^src/(${targets.join('|')})/` },
});

// Features stay apart (issue 12 point 8, ARCHITECTURE.md "features meet through app/live interfaces").
// A feature folder under src/app/ is one output, ingest or service; its index.ts is its declared
// interface. The hub folders are the shared infrastructure every feature may use directly: live/ (source
// registry, sinks), admission/, upstream/ (outbound RTMP client), stats/, hooks/, security/, log/, http/
// (the HTTP server that hosts HTTP features), and the context.ts/server.ts files. So:
//   - a file outside a feature folder (a hub folder or another feature) reaches a feature only through its
//     index.ts; server.ts, the composition root that builds every feature, is the one exception;
//   - the hub imports hub internals freely (they are one shared layer), features import them too.
// A folder not listed in either group is treated as a feature (the default is the strict side), so a new
// app/<x>/ folder must be added to HUB on purpose.
const HUB = ['live', 'admission', 'upstream', 'stats', 'hooks', 'security', 'log', 'http'];
const FEATURE_ONLY_THROUGH_INDEX = {
  name: 'app-feature-only-through-index',
  comment:
    'a feature folder of src/app/ is reached from outside only through its index.ts (its declared interface); ' +
    'features meet through the hub (live, admission, upstream, stats, hooks, security, log, http)',
  severity: 'error',
  from: { path: '^src/app/([^/]+)/', pathNot: '^src/app/server\\.ts$' },
  to: {
    path: '^src/app/[^/]+/',
    pathNot: ['^src/app/$1/', '^src/app/[^/]+/index\\.ts$', `^src/app/(${HUB.join('|')})/`],
  },
};
const ROOT_THROUGH_INDEX = {
  name: 'app-root-only-through-index',
  comment: 'context.ts (shared by every feature) reaches features only through their index.ts; server.ts builds them all',
  severity: 'error',
  from: { path: '^src/app/[^/]+\\.ts$', pathNot: '^src/app/server\\.ts$' },
  to: { path: '^src/app/[^/]+/', pathNot: ['^src/app/[^/]+/index\\.ts$', `^src/app/(${HUB.join('|')})/`] },
};

module.exports = {
  forbidden: [
    FEATURE_ONLY_THROUGH_INDEX,
    ROOT_THROUGH_INDEX,
    forbid('core', ['kernel', 'protocol', 'transport', 'app', 'api', 'cli', 'config'], 'core knows nothing above it'),
    forbid('kernel', ['protocol', 'transport', 'app', 'api', 'cli', 'config'], 'kernel is pure media'),
    forbid('protocol', ['transport', 'app', 'api', 'cli', 'config'], 'protocols are sans-I/O and config-free'),
    forbid('transport', ['app', 'api', 'cli', 'config'], 'transport holds no protocol or app logic'),
    forbid('app', ['api', 'cli'], 'app does not reach up'),
    forbid('api', ['cli'], 'api does not reach up'),
    forbid('config', ['kernel', 'protocol', 'transport', 'app', 'api', 'cli'], 'config depends on core only'),
    {
      name: 'pure-layers-no-io',
      comment: 'kernel and protocol do no I/O (ARCHITECTURE.md)',
      severity: 'error',
      from: { path: '^src/(core|kernel|protocol)/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(net|dgram|tls|http|https|http2|fs|fs/promises|child_process)$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
