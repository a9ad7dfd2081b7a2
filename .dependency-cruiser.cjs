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

module.exports = {
  forbidden: [
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
