// Run tsrs inside your own Node program (after `npm install tsrs`):  node embed.mjs
// Publish:  ffmpeg -re -f lavfi -i testsrc -c:v libx264 -f flv rtmp://127.0.0.1:1935/live/demo
// Play:     ffplay http://127.0.0.1:8080/live/demo.flv     Stats: http://127.0.0.1:1985/api/v1/streams/
// Ports come from RTMP_PORT, HTTP_PORT and API_PORT when set. Ctrl-C stops the server.
import { mkdirSync } from 'node:fs';
import { startServer } from 'tsrs';

const rtmp = Number(process.env.RTMP_PORT ?? 1935);
const http = Number(process.env.HTTP_PORT ?? 8080);
const api = Number(process.env.API_PORT ?? 1985);
mkdirSync('./html', { recursive: true });

const server = await startServer({
  // The same directives as an SRS config file (or pass the file's text as a string).
  config: {
    listen: rtmp,
    daemon: false,
    srs_log_tank: 'console',
    srs_log_level: 'warn',
    http_api: { enabled: true, listen: api },
    http_server: { enabled: true, listen: http, dir: './html' },
    vhost: {
      __defaultVhost__: {
        http_remux: { enabled: true, mount: '[vhost]/[app]/[stream].flv' },
        hls: { enabled: true, hls_path: './html', hls_fragment: 2, hls_window: 10 },
      },
    },
  },
});

server.on('publish', (s) => console.log(`publish ${s.vhost}/${s.app}/${s.stream}`));
server.on('unpublish', (s) => console.log(`unpublish ${s.app}/${s.stream}`));
server.on('play', (c) => console.log(`play ${c.app}/${c.stream} by ${c.ip} (${c.type}, client ${c.id})`));
server.on('stop', (c) => console.log(`stop ${c.app}/${c.stream} (client ${c.id})`));

setInterval(() => {
  const { streams, clients } = server.stats();
  if (streams.length) console.log(`${streams.length} stream(s), ${clients.length} client(s)`);
}, 10_000).unref();

console.log(`tsrs embedded: rtmp://127.0.0.1:${rtmp}/live/<stream>, http://127.0.0.1:${http}/live/<stream>.flv, API :${api}`);

const quit = async () => {
  await server.stop();
  console.log('tsrs stopped');
  process.exit(0);
};
process.once('SIGINT', quit);
process.once('SIGTERM', quit);
