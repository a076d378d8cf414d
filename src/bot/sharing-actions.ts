// Chat-agnostic actions by which a school decides which services get its data: the list of services asking (what,
// why, and the school's decision with its receipt), approve, decline and revoke, and whether the LA may pre-approve
// for the school. Only the school's head approves (the school is the data controller: an LA admin may decline or
// revoke for it, never approve); the operator's CLI acts on the head's written request. Every decision is audited
// by the operation and said to every conversation of the school.
import { UsoError } from '../errors.js';
import { getSchool } from '../store/schools.js';
import type { SharingReceipt, SharingState } from '../store/sharing.js';
import { describeShare, sharingRequests, decideSharing, setPreApproval } from '../sync/sharing.js';
import { actorKey, authorise, roleAt, type Actor } from './access.js';
import type { ActionContext } from './action-base.js';
import { announce } from './school-actions.js';
import type { SharingView } from './view-model.js';

const TOPIC = { key: 'sharing', title: 'data sharing' };

/** A receipt in words: what was decided, by whom, when and how. */
export function receiptText(r: SharingReceipt): string {
  const how = r.via === 'pre-approval' ? 'pre-approved by the LA' : r.via === 'cli' ? 'by the operator' : 'in chat';
  const note = r.note ? ` (the school's request: ${r.note})` : '';
  return `${r.state} by ${r.byName} on ${r.at.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${how}${note}: ${describeShare(r)}`;
}

/** The services asking for the school's data, and what the school decided about each. */
export async function sharing(
  ctx: ActionContext,
  actor: Actor,
  dfeNumber: string,
  done?: string,
): Promise<SharingView> {
  await authorise(ctx.db, actor, dfeNumber, 'read');
  const school = await getSchool(ctx.db, dfeNumber);
  if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
  return {
    kind: 'sharing',
    dfeNumber,
    schoolName: school.name,
    laPreApproval: school.settings.laPreApproval !== false,
    ...(done ? { done } : {}),
    requests: (await sharingRequests(ctx.db, dfeNumber)).map((r) => ({
      subscriberId: r.subscriberId,
      name: r.name,
      purpose: r.purpose,
      wants: describeShare(r),
      state: r.state,
      ...(r.decided ? { decided: receiptText(r.decided) } : {}),
    })),
  };
}

/** Approves, declines or revokes a service at the school; answers the list with the receipt above it. */
export async function decideSharingFor(
  ctx: ActionContext,
  actor: Actor,
  input: { dfeNumber: string; subscriberId: string; decision: SharingState; note?: string },
): Promise<SharingView> {
  await authorise(ctx.db, actor, input.dfeNumber, 'head');
  if (
    input.decision === 'approved' &&
    actor.platform !== 'cli' &&
    (await roleAt(ctx.db, actor, input.dfeNumber)) !== 'head'
  )
    throw new UsoError('forbidden', "only the school's head approves a service to receive the school's data");
  if (actor.platform === 'cli' && !input.note)
    throw new UsoError('usage', "say which of the school's written requests this acts on: --request TEXT");
  const { receipt, changed } = await decideSharing(ctx.db, {
    dfeNumber: input.dfeNumber,
    subscriberId: input.subscriberId,
    decision: input.decision,
    by: actorKey(actor),
    byName: actor.displayName,
    via: actor.platform === 'cli' ? 'cli' : 'chat',
    ...(input.note ? { note: input.note } : {}),
  });
  const said = `${receipt.subscriberName}: ${receiptText(receipt)}`;
  if (changed) await announce(ctx.db, input.dfeNumber, said, TOPIC);
  return sharing(
    ctx,
    actor,
    input.dfeNumber,
    changed ? said : `${receipt.subscriberName} was already ${receipt.state}.`,
  );
}

/** Whether the LA may pre-approve services for the school (the head's choice; undefined: an out-of-date button). */
export async function setPreApprovalFor(
  ctx: ActionContext,
  actor: Actor,
  dfeNumber: string,
  choice: 'allow' | 'refuse' | undefined,
): Promise<SharingView> {
  await authorise(ctx.db, actor, dfeNumber, 'head');
  if (!choice) throw new UsoError('stale_action', 'that button is out of date: open /uso sharing again');
  const allowed = choice === 'allow';
  const changed = await setPreApproval(ctx.db, dfeNumber, allowed, actorKey(actor));
  const said = allowed
    ? `${actor.displayName} allowed the LA to pre-approve services for the school (the head can still decline any).`
    : `${actor.displayName} stopped the LA pre-approving services for the school: each new one waits for the head.`;
  if (changed) await announce(ctx.db, dfeNumber, said, TOPIC);
  return sharing(ctx, actor, dfeNumber, changed ? said : undefined);
}

/** Tells each school where the LA pre-approved a service what it gets and how to decline it. */
export async function announcePreApproval(
  ctx: ActionContext,
  dfeNumbers: readonly string[],
  name: string,
  wants: string,
): Promise<void> {
  for (const dfeNumber of dfeNumbers)
    await announce(
      ctx.db,
      dfeNumber,
      `The LA pre-approved ${name} to receive the school's data (${wants}). The head can decline it at any time: /uso sharing.`,
      TOPIC,
    );
}
