// The CLI's file inputs, validated with zod record by record: a bad line is reported with its number and reason.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UsoError } from '../errors.js';
import { dfeNumberSchema, reportNameSchema } from '../sync/integris/schemas.js';

export const schoolImportSchema = z.array(
  z.object({
    dfeNumber: dfeNumberSchema,
    name: z.string().min(1),
    laCode: z.string().regex(/^\d{3}$/, 'expected a 3-digit LA code'),
    acceptedReports: z.array(reportNameSchema).default(['students', 'staff']),
    settings: z
      .object({
        unallocationThresholdPercent: z.number().min(0).max(100),
        unallocationThresholdMin: z.number().int().min(0),
        updateThresholdPercent: z.number().min(0).max(100),
        graceDays: z.number().int().min(0).max(60),
        preProvisionDays: z.number().int().min(0).max(60),
        usernameFrom: z.enum(['preferred', 'legal']),
        paused: z.boolean(),
        exportTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
        attendanceRetentionDays: z.number().int().min(1).max(400),
      })
      .partial()
      .optional(),
  }).refine((s) => s.dfeNumber.startsWith(s.laCode), 'the DfE number must start with the LA code'),
);

export const accountLineSchema = z.object({
  username: z.string().regex(/^[a-z0-9._-]{1,20}$/, 'expected at most 20 characters of a-z, 0-9, dot, dash or underscore'),
  kind: z.enum(['pupil', 'staff']),
  legalForename: z.string().min(1),
  legalSurname: z.string().min(1),
  preferredForename: z.string().min(1).optional(),
  preferredSurname: z.string().min(1).optional(),
  dateOfBirth: z.iso.date().optional(),
  gender: z.string().optional(),
  upn: z.string().optional(),
  associations: z
    .array(
      z.object({
        dfeNumber: dfeNumberSchema,
        role: z.enum(['pupil', 'staff']).optional(),
        source: z.enum(['mis', 'manual']),
        misPersonId: z.string().min(1).optional(),
      }),
    )
    .min(1),
});
export type AccountLine = z.infer<typeof accountLineSchema>;

export function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsoError('usage', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
