import { type Config, ConfigError, type ConfigFlags, loadConfig } from '../config/config.ts';

/** Loads the configuration, or prints every problem and sets exit code 2 (a usage error). */
export function loadConfigOrReport(flags: ConfigFlags): Config | undefined {
  try {
    return loadConfig(process.env, flags);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exitCode = 2;
    return undefined;
  }
}
