// `npm run simulate -- --schools 30 --seed 1 --port 4010 [--data DIR]`: a standalone Integris Datashare simulator.
// With --data DIR the LA is read from DIR/la.json when present (file-based data), else generated and written there.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { z } from 'zod';
import { generateLocalAuthority } from './sim/generator.js';
import { type SimLocalAuthority } from './sim/types.js';
import { createSimulator } from './sim/simulator.js';

const usage = `Usage: npm run simulate -- [--schools N] [--seed N] [--port N] [--data DIR] [--client-id ID] [--client-secret S]
                         [--webhook-url URL --webhook-secret SECRET]`;

const argsSchema = z.object({
  schools: z.coerce.number().int().min(1).max(500).default(30),
  seed: z.coerce.number().int().default(1),
  port: z.coerce.number().int().min(0).max(65535).default(4010),
  data: z.string().optional(),
  'client-id': z.string().default(process.env.INTEGRIS_CLIENT_ID ?? 'demo'),
  'client-secret': z.string().default(process.env.INTEGRIS_CLIENT_SECRET ?? 'demo'),
  'webhook-url': z.url().optional(),
  'webhook-secret': z.string().min(16).optional(),
  help: z.boolean().optional(),
});

function main(): void {
  let args: z.infer<typeof argsSchema>;
  try {
    const { values } = parseArgs({
      options: {
        schools: { type: 'string' },
        seed: { type: 'string' },
        port: { type: 'string' },
        data: { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'webhook-url': { type: 'string' },
        'webhook-secret': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    args = argsSchema.parse(values);
  } catch (err) {
    const detail =
      err instanceof z.ZodError
        ? err.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')
        : (err as Error).message;
    process.stderr.write(`${detail}\n${usage}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  let la: SimLocalAuthority;
  const file = args.data ? join(args.data, 'la.json') : undefined;
  if (file && existsSync(file)) {
    la = JSON.parse(readFileSync(file, 'utf8')) as SimLocalAuthority;
  } else {
    la = generateLocalAuthority({ seed: args.seed, schools: args.schools });
    if (file) {
      mkdirSync(args.data!, { recursive: true });
      writeFileSync(file, JSON.stringify(la));
    }
  }
  const webhook =
    args['webhook-url'] && args['webhook-secret']
      ? { url: args['webhook-url'], secrets: [args['webhook-secret']] }
      : undefined;
  const sim = createSimulator({ la, clientId: args['client-id'], clientSecret: args['client-secret'], webhook });
  const server = serve({ fetch: sim.app.fetch, port: args.port, hostname: '127.0.0.1' }, (info) => {
    process.stdout.write(
      `Integris simulator: ${la.schools.length} schools of LA ${la.laCode} at http://127.0.0.1:${info.port} ` +
        `(client ${args['client-id']}); Ctrl-C to stop\n`,
    );
  });
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main();
