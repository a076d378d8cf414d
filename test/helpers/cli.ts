// Runs the uso CLI in process and captures what it prints.
import { runCli } from '../../src/cli.js';

export async function uso(...args: string[]): Promise<{ code: number; out: string; err: string; json: () => any }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err, json: () => JSON.parse(out) };
}
