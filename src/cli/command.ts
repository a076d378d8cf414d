// What a CLI command is: its usage, its options, and a run that answers for people and as JSON.
import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';

export interface CliContext {
  config: Config;
  /** Opens the store once (migrating it to this build's schema unless told only to check). */
  store(options?: { migrations?: 'apply' | 'check' }): Promise<Store>;
  actor: string;
  json: boolean;
  out(text: string): void;
  /** Aborted by Ctrl-C or SIGTERM: a run in progress stops at a batch boundary, settles as failed, frees its school. */
  signal: AbortSignal;
}

export interface Command {
  usage: string;
  summary: string;
  options?: ParseArgsConfig['options'];
  /** `exitCode` 1 when the command did its work but some of it failed (e.g. one school of `sync --all`). */
  run(
    ctx: CliContext,
    args: { positionals: string[]; values: Record<string, string | boolean | string[] | undefined> },
  ): Promise<{ human: string; json: unknown; exitCode?: number }>;
}
