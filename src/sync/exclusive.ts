// Work that must run in one place at a time across every worker process (the delivery loops): Agenda runs a job at
// least once, and a second worker takes over a lock it thinks expired, so the job itself holds a lease in the store,
// renewed while it runs, and a pass that finds it held does nothing.
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { releaseExclusive, renewLease, takeExclusive } from '../store/leases.js';

/** Runs `work` holding the lease `key`; returns false, doing nothing, while another holder has it. */
export async function exclusively(db: Db, key: string, work: () => Promise<unknown>, ttlMs = 60_000): Promise<boolean> {
  const owner = randomUUID();
  if (!(await takeExclusive(db, key, owner, ttlMs))) return false;
  const heartbeat = setInterval(() => void renewLease(db, key, owner, ttlMs).catch(() => {}), ttlMs / 3);
  heartbeat.unref();
  try {
    await work();
    return true;
  } finally {
    clearInterval(heartbeat);
    await releaseExclusive(db, key, owner).catch(() => {});
  }
}
