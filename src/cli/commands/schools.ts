// Schools, their chat links and admins, and the whole service paused or resumed.
import { z } from 'zod';
import type { Command } from '../command.js';
import { UsoError } from '../../errors.js';
import { getSchool, listSchools, setGlobalPause, updateSchool, upsertSchool } from '../../store/schools.js';
import { audit } from '../../store/audit.js';
import { alerts, createLinkCode, grantRole } from '../../bot/index.js';
import { dfeNumberSchema as dfe, reportNameSchema } from '../../domain/records.js';
import { KNOWN_MIS, mergeSettings } from '../../domain/model.js';
import { readJsonInput, schoolImportSchema } from '../inputs.js';
import { table } from '../table.js';
import { cliActor } from './shared.js';

export const schoolsCommands: Record<string, Command> = {
  'link-code': {
    usage: 'link-code DFE',
    summary: 'Print a one-time code that links a Slack channel or Teams conversation to the school (/uso link CODE)',
    async run(ctx, { positionals }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const code = await createLinkCode((await ctx.store()).db, dfeNumber, cliActor(ctx));
      return {
        human: `Link code for ${dfeNumber}: ${code} (valid for 24 hours, once). In the channel: /uso link ${code}`,
        json: { dfeNumber, code },
      };
    },
  },
  'admins add': {
    usage: 'admins add DFE slack:TEAM:USER|teams:TENANT:USER --role head|contact|la',
    summary: 'Give a chat user a role at a school (la: every school of its local authority)',
    options: { role: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const who = z
        .string({ error: 'the chat user is required' })
        .regex(/^(slack|teams):[^:\s]+(:\S+)?$/, 'expected slack:TEAM:USER or teams:TENANT:USER')
        .parse(positionals[1]);
      const role = z
        .enum(['head', 'contact', 'la'], { error: 'expected --role head, contact or la' })
        .parse(values.role);
      await grantRole((await ctx.store()).db, cliActor(ctx), dfeNumber, who, role);
      return { human: `${who} is now ${role} at ${dfeNumber}.`, json: { dfeNumber, actor: who, role } };
    },
  },
  'schools import': {
    usage: 'schools import FILE   (a JSON array of {dfeNumber, name, laCode, acceptedReports, settings?})',
    summary: 'Create or update schools from a file',
    async run(ctx, { positionals }) {
      const file = z.string({ error: 'FILE is required' }).parse(positionals[0]);
      const schools = schoolImportSchema.parse(readJsonInput(file));
      const { db } = await ctx.store();
      for (const s of schools) await upsertSchool(db, s);
      await audit(db, {
        at: new Date(),
        actor: ctx.actor,
        action: 'schools.imported',
        detail: `${schools.length} schools`,
      });
      return { human: `Imported ${schools.length} schools.`, json: { imported: schools.length } };
    },
  },
  'schools list': {
    usage: 'schools list',
    summary: 'List schools with their accepted reports and settings',
    async run(ctx) {
      const schools = await listSchools((await ctx.store()).db);
      return {
        human:
          table([
            ['DFE', 'NAME', 'LA', 'REPORTS', 'PAUSED'],
            ...schools.map((s) => [
              s.dfeNumber,
              s.name,
              s.laCode,
              s.acceptedReports.join(','),
              s.settings.paused ? 'yes' : '',
            ]),
          ]) || 'No schools yet.',
        json: schools,
      };
    },
  },
  'schools set': {
    usage:
      'schools set DFE [--accepted-reports students,staff,...] [--unallocation-threshold PCT] [--held-min N] [--update-threshold PCT] [--grace-days N] [--pre-provision-days N] [--username-from preferred|legal] [--export-time HH:MM] [--pause | --resume]',
    summary: "Change a school's accepted reports, thresholds, lifecycle settings or pause",
    options: {
      'accepted-reports': { type: 'string' },
      'unallocation-threshold': { type: 'string' },
      'held-min': { type: 'string' },
      'unallocation-min': { type: 'string' }, // the earlier name of --held-min
      'update-threshold': { type: 'string' },
      'grace-days': { type: 'string' },
      'pre-provision-days': { type: 'string' },
      'username-from': { type: 'string' },
      'export-time': { type: 'string' },
      pause: { type: 'boolean' },
      resume: { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const v = z
        .object({
          'accepted-reports': z
            .string()
            .transform((s) => s.split(','))
            .pipe(z.array(reportNameSchema))
            .optional(),
          'unallocation-threshold': z.coerce.number().min(0).max(100).optional(),
          'held-min': z.coerce.number().int().min(0).optional(),
          'unallocation-min': z.coerce.number().int().min(0).optional(),
          'update-threshold': z.coerce.number().min(0).max(100).optional(),
          'grace-days': z.coerce.number().int().min(0).max(60).optional(),
          'pre-provision-days': z.coerce.number().int().min(0).max(60).optional(),
          'username-from': z.enum(['preferred', 'legal']).optional(),
          'export-time': z
            .string()
            .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM')
            .optional(),
          pause: z.boolean().optional(),
          resume: z.boolean().optional(),
        })
        .refine((x) => !(x.pause && x.resume), 'give --pause or --resume, not both')
        .parse(values);
      const { db } = await ctx.store();
      const school = await getSchool(db, dfeNumber);
      if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
      const settings = mergeSettings({
        ...school.settings,
        ...(v['unallocation-threshold'] !== undefined
          ? { unallocationThresholdPercent: v['unallocation-threshold'] }
          : {}),
        ...((v['held-min'] ?? v['unallocation-min']) !== undefined
          ? { heldChangesMin: v['held-min'] ?? v['unallocation-min'] }
          : {}),
        ...(v['update-threshold'] !== undefined ? { updateThresholdPercent: v['update-threshold'] } : {}),
        ...(v['grace-days'] !== undefined ? { graceDays: v['grace-days'] } : {}),
        ...(v['pre-provision-days'] !== undefined ? { preProvisionDays: v['pre-provision-days'] } : {}),
        ...(v['username-from'] ? { usernameFrom: v['username-from'] } : {}),
        ...(v['export-time'] ? { exportTime: v['export-time'] } : {}),
        ...(v.pause ? { paused: true } : v.resume ? { paused: false } : {}),
      });
      await updateSchool(db, dfeNumber, {
        settings,
        ...(v['accepted-reports'] ? { acceptedReports: v['accepted-reports'] } : {}),
      });
      if (v.pause || v.resume) await alerts.pauseChanged(db, { dfeNumber }, v.pause === true);
      await audit(db, {
        at: new Date(),
        actor: ctx.actor,
        action: 'school.settings',
        dfeNumber,
        detail: Object.keys(values)
          .filter((k) => k !== 'json')
          .join(','),
      });
      return {
        human: `Updated ${dfeNumber}.`,
        json: { dfeNumber, settings, acceptedReports: v['accepted-reports'] ?? school.acceptedReports },
      };
    },
  },
  'schools set-mis': {
    usage: `schools set-mis DFE MIS   (${KNOWN_MIS.join(', ')})`,
    summary: 'Record that a school changed MIS: its first export then re-keys accounts instead of churning them',
    async run(ctx, { positionals }) {
      const dfeNumber = dfe.parse(positionals[0]);
      const mis = z
        .enum(KNOWN_MIS, { error: `MIS is one of ${KNOWN_MIS.join(', ')}` })
        .parse(positionals[1]?.toLowerCase());
      const { db } = await ctx.store();
      const school = await getSchool(db, dfeNumber);
      if (!school) throw new UsoError('not_found', `school ${dfeNumber} is not known`);
      if (school.mis === mis)
        return { human: `${dfeNumber} already uses ${mis}.`, json: { dfeNumber, mis, changed: false } };
      await updateSchool(db, dfeNumber, { mis, misChangePending: { from: school.mis, at: new Date().toISOString() } });
      await audit(db, {
        at: new Date(),
        actor: ctx.actor,
        action: 'school.mis_changed',
        dfeNumber,
        detail: `${school.mis} -> ${mis}`,
      });
      return {
        human: `${dfeNumber} now uses ${mis} (was ${school.mis}); its next export re-keys accounts.`,
        json: { dfeNumber, mis, from: school.mis, changed: true },
      };
    },
  },
  pause: {
    usage: 'pause [--reason TEXT]',
    summary: "Pause every school's runs (e.g. over the summer rollover)",
    options: { reason: { type: 'string' } },
    async run(ctx, { values }) {
      const { db } = await ctx.store();
      const reason = typeof values.reason === 'string' ? values.reason : undefined;
      await setGlobalPause(db, true, reason);
      await audit(db, { at: new Date(), actor: ctx.actor, action: 'service.paused' });
      await alerts.pauseChanged(db, {}, true, reason);
      return { human: 'All runs are paused.', json: { paused: true } };
    },
  },
  resume: {
    usage: 'resume',
    summary: 'Resume runs after a pause',
    async run(ctx) {
      const { db } = await ctx.store();
      await setGlobalPause(db, false);
      await audit(db, { at: new Date(), actor: ctx.actor, action: 'service.resumed' });
      await alerts.pauseChanged(db, {}, false);
      return { human: 'Runs resumed.', json: { paused: false } };
    },
  },
};
