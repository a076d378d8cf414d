// Every action the audit records, in one list: the audit's `action` is one of these, and subscribers' events are
// derived from them (sync/outbound.ts), so a new action is named here before it is written anywhere.
export const AUDIT_ACTIONS = [
  // accounts, by a run or an admin
  'account.created',
  'account.updated',
  'account.unallocated',
  'account.restored',
  'account.auto_matched',
  'account.requested',
  'account.kept',
  'account.deleted',
  'accounts.imported',
  // people held for matching
  'match.created',
  'match.linked',
  'match.excluded',
  'match.undone',
  'exclusion.add',
  'exclusion.remove',
  'held.approved',
  'held.rejected',
  // one person, one account across the LA
  'identity.held',
  'identity.merged',
  'identity.withdrawn',
  // data protection
  'person.exported',
  'person.erased',
  'retention.removed',
  'school.data_erased',
  // schools and runs
  'run.finished',
  'school.grant_revoked',
  'school.report_changed',
  'school.mis_changed',
  'school.settings',
  'schools.imported',
  'service.paused',
  'service.resumed',
  'store.restored',
  // chat
  'chat.linked',
  'chat.unlinked',
  'chat.role_granted',
  // subscribers and schools' approval of them
  'subscriber.added',
  'subscriber.revoked',
  'subscriber.rotated',
  'subscriber.key_rotated',
  'subscriber.resumed',
  'sharing.approved',
  'sharing.declined',
  'sharing.revoked',
  'api.read',
  'api.refused',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
