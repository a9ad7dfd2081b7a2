// Public surface of app/admission: the one admission service every protocol uses (issue 12 point 4).
export { AdmissionService, type AdmissionDeps } from './admission-service.js';
export type {
  Admission,
  AdmissionAction,
  AdmissionClient,
  AdmissionProto,
  AdmissionRequest,
  ClientBoundTicket,
  ClientTicket,
  ConnectionSlot,
  Ticket,
} from './types.js';
