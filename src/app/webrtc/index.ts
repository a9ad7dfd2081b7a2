// Public surface of app/webrtc (issue 15): WebRTC play over one UDP port (ICE-lite, DTLS 1.2, SRTP).
export { RtcService, type RtcPlayRequest, type RtcPlayAnswer } from './rtc-service.js';
export { RtcSession, type RtcSessionState, type RtcSessionOptions, type RtcSessionEvents, type RtcSessionPort } from './rtc-session.js';
export { createDtlsCertificate, certificateFingerprint, type DtlsCertificate } from './dtls-certificate.js';
