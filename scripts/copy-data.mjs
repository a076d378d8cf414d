// The build's data files (name lists read at start) beside the compiled code: tsc copies only code.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/domain/name-lists', import.meta.url), new URL('../dist/domain/name-lists', import.meta.url), {
  recursive: true,
});
