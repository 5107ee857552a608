// Gives an account a role (`user`, `moderator`, `admin`) on a running server's database, the
// way an operator gets the first moderator: `chirp admin role <username> <role>
// --database-url …`. Until that command exists in the binary under test, the same row is
// written with SQL on the test's own database (the `sqlite3` CLI for SQLite, `psql` for
// PostgreSQL), which the server reads fresh on every moderator check and report.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { chirpBin } from './chirp.mjs';

const run = promisify(execFile);

/** The SQL fallback: one row changed, or the test fails saying which. */
async function setRoleWithSql(databaseUrl, username, role) {
  assert.match(username, /^[A-Za-z0-9_]{3,20}$/, 'a plain username (it is put into SQL)');
  assert.ok(['user', 'moderator', 'admin'].includes(role), `a role, not ${role}`);
  const sql = `UPDATE users SET role = '${role}' WHERE username_key = '${username.toLowerCase()}' RETURNING role;`;
  let stdout;
  if (/^postgres(ql)?:/.test(databaseUrl)) {
    ({ stdout } = await run('psql', [databaseUrl, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]));
  } else {
    assert.match(databaseUrl, /^sqlite:/, `a sqlite: or postgres: URL, not ${databaseUrl}`);
    const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '').replace(/\?.*$/, '');
    // The server holds the file open in WAL mode: wait for its write lock rather than fail.
    ({ stdout } = await run('sqlite3', ['-bail', '-cmd', '.timeout 10000', file, sql]));
  }
  assert.equal(stdout.trim(), role, `no account ${username} in ${databaseUrl}`);
}

/**
 * Sets `username`'s role on the database of `server` (anything with a `databaseUrl`, as
 * `startChirp` returns), with `chirp admin role` when the binary has it, else with SQL.
 */
export async function setRole(server, username, role) {
  const { databaseUrl } = server;
  assert.ok(databaseUrl, 'the server\'s database URL');
  try {
    await run(chirpBin, ['admin', 'role', username, role, '--database-url', databaseUrl]);
    return;
  } catch (err) {
    // Any answer but "no such subcommand" is the command's own failure: report it.
    if (!/unrecognized subcommand/.test(String(err.stderr))) {
      throw new Error(`chirp admin role ${username} ${role}: exit ${err.code}\n${err.stdout}${err.stderr}`);
    }
  }
  await setRoleWithSql(databaseUrl, username, role);
}
