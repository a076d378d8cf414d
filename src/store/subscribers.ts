// The services that trust USO: each subscriber gets signed events for the schools and reports it is scoped to, and
// reads the API with its key. The signing secrets are kept (they sign every delivery); the API key only as a hash.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { ReportName } from '../domain/records.js';

export interface SubscriberDoc {
  _id: string;
  name: string;
  url: string;
  /** Event types or families (`account.*`, `school.*`, `run.finished`). */
  events: string[];
  /** The schools it may hear and read about: listed DfE numbers, or every school of an LA. */
  scope: { schools?: string[]; laCode?: string };
  /** The reports its data may come from (data minimisation): never more than a school accepted. */
  reports: ReportName[];
  /** The optional account fields it asked for (absent on a subscriber added before it could ask: all of them). */
  fields?: OptionalField[];
  /** Why it wants the data, as schools see it when they decide. */
  purpose?: string;
  /** Added as pre-approved by the LA: approved at each school that allows the LA to pre-approve. */
  preApproved?: boolean;
  /** Signing secrets, newest first: two while one is being rotated. */
  secrets: string[];
  apiKeyHash: string;
  createdAt: Date;
  revokedAt?: Date;
  /** Deliveries stopped after failing for too long; resumed with `uso subscribers resume`. */
  pausedAt?: Date;
  pauseReason?: string;
  /** The operator allowed plain http to this subscriber's host (else https only). */
  allowHttp?: boolean;
  /** The operator allowed loopback, private or link-local addresses for this subscriber (else public only). */
  allowPrivate?: boolean;
}

/** Account fields a subscriber gets only when it asks for them (names, username and the school's record always). */
export const OPTIONAL_FIELDS = ['dateOfBirth', 'upn', 'email'] as const;
export type OptionalField = (typeof OPTIONAL_FIELDS)[number];
export const fieldsOf = (s: Pick<SubscriberDoc, 'fields'>): readonly OptionalField[] => s.fields ?? OPTIONAL_FIELDS;

const coll = (db: Db) => db.collection<SubscriberDoc>('subscribers');
export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Adds a subscriber; its signing secret and API key are returned once, here, and never shown again. */
export async function addSubscriber(
  db: Db,
  input: Pick<
    SubscriberDoc,
    | 'name'
    | 'url'
    | 'events'
    | 'scope'
    | 'reports'
    | 'allowHttp'
    | 'allowPrivate'
    | 'fields'
    | 'purpose'
    | 'preApproved'
  >,
): Promise<{ id: string; secret: string; apiKey: string }> {
  const id = randomUUID();
  const secret = `whsec_${randomBytes(24).toString('base64')}`; // standard base64, as Standard Webhooks' libraries read it
  const apiKey = `uso_${randomBytes(24).toString('base64url')}`;
  await coll(db).insertOne({
    _id: id,
    ...input,
    secrets: [secret],
    apiKeyHash: hashKey(apiKey),
    createdAt: new Date(),
  });
  return { id, secret, apiKey };
}

export async function subscriberByKey(db: Db, apiKey: string): Promise<SubscriberDoc | undefined> {
  return (await coll(db).findOne({ apiKeyHash: hashKey(apiKey) })) ?? undefined;
}

export async function getSubscriber(db: Db, id: string): Promise<SubscriberDoc | undefined> {
  return (await coll(db).findOne({ _id: id })) ?? undefined;
}

export async function listSubscribers(db: Db): Promise<SubscriberDoc[]> {
  return coll(db).find({}).sort({ createdAt: 1 }).toArray();
}

/** Revokes a subscriber: its key stops working and nothing more is sent to it. */
export async function revokeSubscriber(db: Db, id: string): Promise<boolean> {
  return (
    (await coll(db).updateOne({ _id: id, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } }))
      .modifiedCount === 1
  );
}

/** A new signing secret, signed alongside the old one until `dropOld`; returned once. */
export async function rotateSecret(db: Db, id: string): Promise<string | undefined> {
  const sub = await getSubscriber(db, id);
  if (!sub) return undefined;
  const secret = `whsec_${randomBytes(24).toString('base64')}`; // standard base64, as Standard Webhooks' libraries read it
  await coll(db).updateOne({ _id: id }, { $set: { secrets: [secret, ...sub.secrets.slice(0, 1)] } });
  return secret;
}

/** A new API key alone (the old one stops working at once; the signing secrets stay); undefined for no such subscriber. */
export async function rotateApiKey(db: Db, id: string): Promise<string | undefined> {
  const apiKey = `uso_${randomBytes(24).toString('base64url')}`;
  const res = await coll(db).updateOne({ _id: id }, { $set: { apiKeyHash: hashKey(apiKey) } });
  return res.matchedCount === 1 ? apiKey : undefined;
}

export async function pauseSubscriber(db: Db, id: string, reason: string): Promise<boolean> {
  return (
    (
      await coll(db).updateOne(
        { _id: id, pausedAt: { $exists: false } },
        { $set: { pausedAt: new Date(), pauseReason: reason } },
      )
    ).modifiedCount === 1
  );
}

export async function resumeSubscriber(db: Db, id: string): Promise<void> {
  await coll(db).updateOne({ _id: id }, { $unset: { pausedAt: '', pauseReason: '' } });
}
