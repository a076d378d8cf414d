// Everything Integris-specific lives in this folder; the rest of the service uses only these names.
export { IntegrisClient, type IntegrisClientOptions, type FetchReportOptions, type ReportPage } from './client.js';
export {
  reportNames,
  parseReport,
  exportFileSchema,
  studentSchema,
  staffSchema,
  contactSchema,
  groupSchema,
  attendanceMarkSchema,
  type ReportName,
  type Student,
  type Staff,
  type Contact,
  type Group,
  type AttendanceMark,
  type ExportFile,
  type GrantedSchool,
  type InvalidRecord,
} from './schemas.js';
export { isValidUpn, makeUpn, upnCheckLetter } from './upn.js';
export { verifyIntegrisSignature, integrisSignatureHeader, SIGNATURE_TOLERANCE_SECONDS, type SignatureCheck } from './signature.js';
export { generateLocalAuthority, ageOneNight, type SimLocalAuthority, type SimSchool, type Change, type ChangeKind } from './sim/generator.js';
export { createSimulator, type Simulator, type SimulatorFaults, type WebhookEvent } from './sim/simulator.js';
