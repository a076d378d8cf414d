// The CLI's file inputs, validated with zod record by record: a bad line is reported with its number and reason.
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { UsoError } from '../errors.js';
import { dfeNumberSchema, reportNameSchema } from '../domain/records.js';

export const schoolImportSchema = z.array(
  z
    .object({
      dfeNumber: dfeNumberSchema,
      name: z.string().min(1),
      laCode: z.string().regex(/^\d{3}$/, 'expected a 3-digit LA code'),
      acceptedReports: z.array(reportNameSchema).default(['students', 'staff']),
      settings: z
        .object({
          unallocationThresholdPercent: z.number().min(0).max(100),
          heldChangesMin: z.number().int().min(0),
          updateThresholdPercent: z.number().min(0).max(100),
          graceDays: z.number().int().min(0).max(60),
          preProvisionDays: z.number().int().min(0).max(60),
          usernameFrom: z.enum(['preferred', 'legal']),
          paused: z.boolean(),
          exportTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
          attendanceRetentionDays: z.number().int().min(1).max(400),
          leaverVisibleDays: z.number().int().min(0).max(3650),
        })
        .partial()
        .optional(),
    })
    .refine((s) => s.dfeNumber.startsWith(s.laCode), 'the DfE number must start with the LA code'),
);

export const accountLineSchema = z.object({
  username: z
    .string()
    .regex(/^[a-z0-9._-]{1,20}$/, 'expected at most 20 characters of a-z, 0-9, dot, dash or underscore'),
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

/** The largest input file the CLI reads (an LA's export or account directory is far smaller). */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

export function readInput(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new UsoError(
      'usage',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (size > MAX_INPUT_BYTES)
    throw new UsoError(
      'usage',
      `${path} is ${Math.round(size / 1048576)} MiB, over the ${MAX_INPUT_BYTES / 1048576} MiB the CLI reads`,
    );
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsoError(
      'usage',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** A JSON input file, parsed; anything that is not JSON is a one-line usage error, not a stack trace. */
export function readJsonInput(path: string): unknown {
  const text = readInput(path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsoError('usage', `${path} is not valid JSON (${(err as Error).message.slice(0, 120)})`);
  }
}
