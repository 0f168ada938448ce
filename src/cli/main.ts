import { Command } from 'commander';
import { registerDbCommands } from './commands/db.ts';
import { registerServerCommand } from './commands/server.ts';
import { PLUMB_VERSION } from '../version.ts';

const program = new Command()
  .name('plumb')
  .description('An MLflow-compatible ML lifecycle server')
  .version(PLUMB_VERSION);
registerServerCommand(program);
registerDbCommands(program);
await program.parseAsync(process.argv);
