// `uso`: the admin command line. Every command has --help; output is for people unless --json is given.
// It joins the running service's store (the embedded FerretDB recorded in DATA_DIR, or MONGODB_URI).
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig, type Config } from './config.js';
import { asUsoError } from './errors.js';
import { createLogger } from './log.js';
import { commands } from './cli/commands.js';
import type { CliContext } from './cli/command.js';
import { openStore, type Store } from './store/index.js';
import { storeOptions } from './connections.js';

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'Usage: uso <command> [options]   (npm run uso -- <command> ...)',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --help and --json.',
  ].join('\n');
}

export async function runCli(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const name = [`${words[0]} ${words[1]}`, words[0]].find((n) => n && n in commands);
  if (!name) {
    if (argv.length === 0 || argv.includes('--help') || argv[0] === 'help') {
      io.out(`${help()}\n`);
      return argv.length === 0 ? 2 : 0;
    }
    io.err(`uso: unknown command '${words.slice(0, 2).join(' ')}'\n${help()}\n`);
    return 2;
  }
  const command = commands[name]!;
  const rest = [...argv];
  for (const word of name.split(' ')) rest.splice(rest.indexOf(word), 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean' } },
    }) as { values: Record<string, string | boolean | undefined>; positionals: string[] };
  } catch (err) {
    io.err(`uso ${name}: ${(err as Error).message}\nUsage: uso ${command.usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(`Usage: uso ${command.usage}\n${command.summary}\n`);
    return 0;
  }
  let store: Store | undefined;
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return 2;
  }
  const logger = createLogger({ level: 'silent', pretty: false });
  const json = parsed.values.json === true;
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(130); // a second Ctrl-C: stop now
    io.err(`uso ${name}: ${signal}: stopping at the next safe point...\n`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const ctx: CliContext = {
    config,
    json,
    signal: interrupt.signal,
    actor: `cli:${userInfo().username}`,
    out: io.out,
    async store(options = {}) {
      store ??= await openStore({ ...storeOptions(config, logger), ...options });
      return store;
    },
  };
  try {
    const result = await command.run(ctx, {
      positionals: parsed.positionals,
      values: parsed.values as Record<string, string | boolean | undefined>,
    });
    io.out(json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.human}\n`);
    return result.exitCode ?? 0;
  } catch (err) {
    if (err instanceof z.ZodError) {
      io.err(
        `uso ${name}: ${err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}\nUsage: uso ${command.usage}\n`,
      );
      return 2;
    }
    // one line, never a stack trace: the operator gets the reason and the exit code says what kind
    const e = asUsoError(err);
    io.err(`uso ${name}: ${e.code === 'internal' ? '' : `${e.code}: `}${e.message.split('\n')[0]}\n`);
    if (e.code === 'run_interrupted') return 130;
    return e.code === 'usage' ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await store?.close().catch(() => {});
  }
}

/** Exits once everything written to stdout and stderr has been handed to the OS (a pipe may still be draining). */
export async function exitAfterDrain(code: number): Promise<never> {
  await Promise.all(
    [process.stdout, process.stderr].map((stream) => new Promise<void>((ok) => stream.write('', () => ok()))),
  );
  process.exit(code);
}

if (process.argv[1]?.endsWith('/src/cli.ts')) {
  runCli(process.argv.slice(2)).then(exitAfterDrain);
}
