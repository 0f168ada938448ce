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
// A command named like its file loads that file alone: every command module brings its own
// dependencies, and a server that loaded them all held 11-13 MB more at idle. Help, --version and
// commands registered under another name (`restore` lives in backup's file) load them all.
const requested = process.argv[2];
const own = all.filter((f) => requested !== undefined && f.replace(/\.command\.[jt]s$/, '') === requested);
const files = own.length > 0 ? own : all;
for (const file of files) {
  const module = (await import(pathToFileURL(join(commandsDir, file)).href)) as CommandModule;
  module.register(program);
}
await program.parseAsync(process.argv);
