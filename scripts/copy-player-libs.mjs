#!/usr/bin/env node
// Copy the browser builds of the player libraries (npm dependencies) into the web root, so the player
// page loads them from the tsrs HTTP server itself: no CDN, nothing fetched by the browser elsewhere.
// Run by `npm run build`; the copies are build output (html/players/js/vendor/ is git-ignored).
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dest = join(root, 'html', 'players', 'js', 'vendor');
const require = createRequire(join(root, 'package.json'));

/** package → files to copy from its folder (first = the browser build the page loads). */
const LIBS = [
  { name: 'mpegts.js', files: ['dist/mpegts.js', 'dist/mpegts.js.LICENSE.txt', 'LICENSE'] },
  { name: 'hls.js', files: ['dist/hls.min.js', 'LICENSE'] },
];

mkdirSync(dest, { recursive: true });
const versions = [];
for (const lib of LIBS) {
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve(`${lib.name}/package.json`));
  } catch {
    console.error(`copy-player-libs: npm package ${lib.name} is not installed; run "npm install" (or "npm ci") first`);
    process.exit(1);
  }
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  for (const file of lib.files) {
    const from = join(pkgDir, file);
    if (!existsSync(from)) {
      if (file === lib.files[0]) {
        console.error(`copy-player-libs: ${lib.name}@${version} has no ${file}; its layout changed, update scripts/copy-player-libs.mjs`);
        process.exit(1);
      }
      continue;
    }
    // LICENSE files get the package name, since both packages ship one called LICENSE.
    const base = file.split('/').pop();
    const to = join(dest, base === 'LICENSE' ? `${lib.name}.LICENSE` : base);
    copyFileSync(from, to);
  }
  versions.push(`${lib.name} ${version}`);
}
writeFileSync(join(dest, 'VERSIONS.txt'), `${versions.join('\n')}\n`);
console.log(`copy-player-libs: ${versions.join(', ')} → ${relative(root, dest)}/`);
