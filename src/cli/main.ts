import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { PLUMB_VERSION } from '../version.ts';

/** What each `commands/<name>.command.ts` exports: it adds its commands to the program. */
interface CommandModule {
  register(program: Command): void;
}

const program = new Command()
  .name('plumb')
  .description('An MLflow-compatible ML lifecycle server')
  .version(PLUMB_VERSION);
// Each command lives in its own file and is found here, so adding one touches no shared file.
// `server` first: it is what `plumb --help` should show at the top.
const commandsDir = join(import.meta.dirname, 'commands');
const all = readdirSync(commandsDir)
  .filter((f) => /\.command\.[jt]s$/.test(f))
  .sort((a, b) => (a.startsWith('server.') ? -1 : b.startsWith('server.') ? 1 : a.localeCompare(b)));
// `plumb server` loads its own module alone: every command module brings its own dependencies,
// and a server that loaded them all held 11-13 MB more at idle. Every other command loads them
// all, since a module may add to another's command (`import dump` is export's).
const files = process.argv[2] === 'server' ? all.filter((f) => f.startsWith('server.')) : all;
for (const file of files) {
  const module = (await import(pathToFileURL(join(commandsDir, file)).href)) as CommandModule;
  module.register(program);
}
await program.parseAsync(process.argv);
