// Public surface of the HTTP server feature: the mux, static files and the listeners' owner.
export { HttpMux, pathMatch, isUncleanUrl, requestHostname, sendStatus, sendRedirect, type HttpHandler, type HttpRoute, type HttpInterceptor } from './http-mux.js';
export { staticFilesHandler, mimeTypeOf, resolveStaticPath, parseRangeHeader, parseMp4QueryRange, flvSequenceHeaderRange } from './static-files.js';
export { HttpServers, apiReusesServer, staticMountsOf, type HttpPorts } from './http-servers.js';
