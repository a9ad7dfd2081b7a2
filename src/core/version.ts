/** tsrs's own version. */
export const TSRS_VERSION = '0.1.0';
/** The SRS release whose interfaces we match; reported where SRS clients read a version (API, -v). */
export const SRS_COMPAT_VERSION = { major: 5, minor: 0, revision: 216 } as const;
export const SRS_COMPAT_VERSION_STRING = `${SRS_COMPAT_VERSION.major}.${SRS_COMPAT_VERSION.minor}.${SRS_COMPAT_VERSION.revision}`;
/** The `Server:` header and RTMP identity, SRS-shaped so tools that sniff it keep working. */
export const SERVER_SIGNATURE = `SRS/${SRS_COMPAT_VERSION_STRING}(tsrs ${TSRS_VERSION})`;
