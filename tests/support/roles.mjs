// Gives an account a role (`user`, `moderator`, `admin`) on a running server's database, the
// way an operator gets the first moderator: `chirp admin role <username> <role>
// --database-url …`, while the server runs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { chirpBin } from './chirp.mjs';

const run = promisify(execFile);

/**
 * Sets `username`'s role on the database of `server` (anything with a `databaseUrl`, as
 * `startChirp` returns) with `chirp admin role`.
 */
export async function setRole(server, username, role) {
  const { databaseUrl } = server;
  if (!databaseUrl) throw new Error('setRole needs the server\'s database URL');
  try {
    await run(chirpBin, ['admin', 'role', username, role, '--database-url', databaseUrl]);
  } catch (err) {
    throw new Error(`chirp admin role ${username} ${role}: exit ${err.code}\n${err.stdout}${err.stderr}`);
  }
}
