#!/usr/bin/env node
// Makes sure the FerretDB 1.24 binary used by the embedded store and the tests exists.
// It is built once from the Go module proxy into .tools/bin. `go install ...@v1.24.2` alone gives a binary that
// panics at start ("Invalid build/version/version.txt file content"), because the module ships without its
// generated version file; so the module source is downloaded, the version file written, and the command built.
//
// Three fixes are made to the source before building (PATCHES below), so that a lookup by `_id` reads only its rows:
// - FerretDB 1.24's SQLite backend builds a collection's unique `_id` index on `_ferretdb_sjson->"_id"` but finds,
//   updates and deletes by `_id` with `_ferretdb_sjson->'$._id'`. SQLite uses an expression index only for the same
//   expression, so each of those read the whole table: an update by `_id` took 53 ms at 10,000 accounts and grew with
//   the collection. Built on the lookup's own expression, the index serves them. (A store whose collections an
//   unpatched build made keeps the old index, and the scans, until it is made again.)
// - The backend narrows a query to one `_id` only when the filter has no other field, so `{_id, version}` (a write
//   only at the version read) read the whole table. It now narrows any filter with an `_id` value; the handler
//   applies the whole filter to what the backend returns, as it does for every filter it does not push down.
// - A filter of only `_id` in a list of strings (`{_id: {$in}}`), in a range of strings (`{_id: {$gte, $lt}}`), or an
//   `$or` of those, read the whole table; it now reads those rows through the index, so one command fetches many
//   accounts by username, or every look-alike entry under many keys (store/lookalikes.ts). A range compares the
//   JSON text of the strings, which orders as the strings do for the characters the service puts in `_id` ranges.
// A binary without a note of the patches it was built with is built again; one given in FERRETDB_BIN is used as it is.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  chmodSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FERRETDB_VERSION = 'v1.24.2';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const defaultFerretdbPath = join(root, '.tools', 'bin', 'ferretdb');

function versionOf(bin) {
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return out.status === 0 ? /version: (\S+)/.exec(out.stdout)?.[1] : undefined;
}

function makeWritable(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    chmodSync(path, st.mode | 0o200);
    if (st.isDirectory()) makeWritable(path);
  }
}

/** Go added to the SQLite backend (see the third patch). */
const USO_ID_WHERE =
  '// uso-autoupdate: narrows a query whose filter is only an `_id` list of strings ({_id: {$in}}), an `_id` range of\n// strings ({_id: {$gte, $lt}}), or an `$or` of those, to the rows they name, through the `_id` index. The handler\n// applies the whole filter to what is read, so the narrowing only has to hold every match.\nfunc usoIDWhere(filter *types.Document) (string, []any) {\n\tif filter == nil || filter.Len() != 1 {\n\t\treturn "", nil\n\t}\n\tif v, err := filter.Get("_id"); err == nil {\n\t\tif d, ok := v.(*types.Document); ok {\n\t\t\tif c, a := usoIDCondition(d); c != "" {\n\t\t\t\treturn " WHERE " + c, a\n\t\t\t}\n\t\t}\n\t\treturn "", nil\n\t}\n\tor, err := filter.Get("$or")\n\tif err != nil {\n\t\treturn "", nil\n\t}\n\tarr, ok := or.(*types.Array)\n\tif !ok || arr.Len() == 0 {\n\t\treturn "", nil\n\t}\n\tclauses := make([]string, 0, arr.Len())\n\tvar args []any\n\tfor i := 0; i < arr.Len(); i++ {\n\t\tel, _ := arr.Get(i)\n\t\tdoc, ok := el.(*types.Document)\n\t\tif !ok || doc.Len() != 1 {\n\t\t\treturn "", nil\n\t\t}\n\t\tv, err := doc.Get("_id")\n\t\tif err != nil {\n\t\t\treturn "", nil\n\t\t}\n\t\td, ok := v.(*types.Document)\n\t\tif !ok {\n\t\t\treturn "", nil\n\t\t}\n\t\tc, a := usoIDCondition(d)\n\t\tif c == "" {\n\t\t\treturn "", nil\n\t\t}\n\t\tclauses = append(clauses, "("+c+")")\n\t\targs = append(args, a...)\n\t}\n\treturn " WHERE " + strings.Join(clauses, " OR "), args\n}\n\nfunc usoIDCondition(d *types.Document) (string, []any) {\n\tif in, err := d.Get("$in"); err == nil && d.Len() == 1 {\n\t\tarr, ok := in.(*types.Array)\n\t\tif !ok || arr.Len() == 0 {\n\t\t\treturn "", nil\n\t\t}\n\t\tmarks := make([]string, arr.Len())\n\t\targs := make([]any, arr.Len())\n\t\tfor i := 0; i < arr.Len(); i++ {\n\t\t\tel, _ := arr.Get(i)\n\t\t\ts, ok := el.(string)\n\t\t\tif !ok {\n\t\t\t\treturn "", nil\n\t\t\t}\n\t\t\tmarks[i] = "?"\n\t\t\targs[i] = string(must.NotFail(sjson.MarshalSingleValue(s)))\n\t\t}\n\t\treturn fmt.Sprintf("%s IN (%s)", metadata.IDColumn, strings.Join(marks, ", ")), args\n\t}\n\tlo, errLo := d.Get("$gte")\n\thi, errHi := d.Get("$lt")\n\tlos, okLo := lo.(string)\n\this, okHi := hi.(string)\n\tif d.Len() != 2 || errLo != nil || errHi != nil || !okLo || !okHi {\n\t\treturn "", nil\n\t}\n\treturn fmt.Sprintf("%s >= ? AND %s < ?", metadata.IDColumn, metadata.IDColumn), []any{\n\t\tstring(must.NotFail(sjson.MarshalSingleValue(los))),\n\t\tstring(must.NotFail(sjson.MarshalSingleValue(his))),\n\t}\n}\n\n';

export const PATCHES = [
  {
    file: 'internal/backends/sqlite/metadata/registry.go',
    find: '\t\t\tcolumns[i] = fmt.Sprintf("%s->%s", DefaultColumn, strings.Join(fields, "->"))\n',
    add:
      '\t\t\tif key.Field == "_id" {\n' +
      '\t\t\t\tcolumns[i] = IDColumn // uso-autoupdate: the expression `_id` lookups use, so SQLite searches the index\n' +
      '\t\t\t}\n',
  },
  {
    // the Query (not the Explain) of the SQLite collection: the only one followed directly by the where clause
    file: 'internal/backends/sqlite/collection.go',
    find:
      '\tif params.Filter.Len() == 1 {\n' +
      '\t\tv, _ := params.Filter.Get("_id")\n' +
      '\t\tswitch v.(type) {\n' +
      '\t\tcase string, types.ObjectID:\n' +
      '\t\t\twhereClause = ',
    replace:
      '\tif params.Filter.Len() >= 1 { // uso-autoupdate: any filter with an `_id` value (the handler applies the rest)\n' +
      '\t\tv, _ := params.Filter.Get("_id")\n' +
      '\t\tswitch v.(type) {\n' +
      '\t\tcase string, types.ObjectID:\n' +
      '\t\t\twhereClause = ',
  },
  {
    // the Query of the SQLite collection again: an `_id` list or ranges narrow it too (usoIDWhere, added below)
    file: 'internal/backends/sqlite/collection.go',
    find: '\t\t}\n\t}\n\n\tq += whereClause\n\tq += prepareOrderByClause(params.Sort)\n',
    replace:
      '\t\t}\n\t}\n\n' +
      '\tif whereClause == "" { // uso-autoupdate: `_id` in a list or in ranges reads only those rows\n' +
      '\t\twhereClause, args = usoIDWhere(params.Filter)\n' +
      '\t}\n\n' +
      '\tq += whereClause\n\tq += prepareOrderByClause(params.Sort)\n',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    find: '// collection implements backends.Collection interface.\n',
    replace: USO_ID_WHERE + '// collection implements backends.Collection interface.\n',
  },
];
const patchesId = createHash('sha256').update(JSON.stringify(PATCHES)).digest('hex').slice(0, 16);
const noteOf = (bin) => `${bin}.patches`;

/**
 * Applies each patch to the source tree: text added after the lines it names, or put in their place. Fails if those
 * lines are not there exactly once.
 */
export function applyPatches(dir) {
  for (const p of PATCHES) {
    const path = join(dir, p.file);
    const text = readFileSync(path, 'utf8');
    if (text.split(p.find).length !== 2) throw new Error(`FerretDB patch: ${p.file} no longer has the line it changes`);
    writeFileSync(
      path,
      text.replace(p.find, () => p.replace ?? p.find + p.add),
    );
  }
}

export function ensureFerretdb(bin = process.env.FERRETDB_BIN || defaultFerretdbPath) {
  if (process.env.FERRETDB_BIN) {
    if (existsSync(bin) && versionOf(bin) === FERRETDB_VERSION) return bin;
    throw new Error(`FERRETDB_BIN=${bin} is not a FerretDB ${FERRETDB_VERSION} binary`);
  }
  const note = existsSync(noteOf(bin)) ? readFileSync(noteOf(bin), 'utf8').trim() : undefined;
  if (existsSync(bin) && versionOf(bin) === FERRETDB_VERSION && note === patchesId) return bin;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    throw new Error(
      'FerretDB is not built and Go is not installed, so the embedded store cannot start. ' +
        'Install Go (https://go.dev/dl/) or set MONGODB_URI to a MongoDB instance, e.g. MONGODB_URI=mongodb://127.0.0.1:27017/uso',
    );
  }
  process.stderr.write(`Building FerretDB ${FERRETDB_VERSION} from the Go module proxy (once; about a minute)...\n`);
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], {
      encoding: 'utf8',
    }),
  );
  const work = mkdtempSync(join(tmpdir(), 'ferretdb-src-'));
  try {
    cpSync(info.Dir, work, { recursive: true });
    makeWritable(work);
    writeFileSync(join(work, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    applyPatches(work);
    mkdirSync(dirname(bin), { recursive: true });
    execFileSync('go', ['build', '-o', bin, './cmd/ferretdb'], { cwd: work, stdio: ['ignore', 'inherit', 'inherit'] });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (versionOf(bin) !== FERRETDB_VERSION)
    throw new Error(`the FerretDB build at ${bin} does not report ${FERRETDB_VERSION}`);
  writeFileSync(noteOf(bin), `${patchesId}\n`);
  process.stderr.write(`FerretDB ${FERRETDB_VERSION} built at ${bin}\n`);
  return bin;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    ensureFerretdb();
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
