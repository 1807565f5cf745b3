#!/usr/bin/env node
// ct-runner: a PeerTube-protocol transcoding runner. `ct-runner --help` for usage.
import { CONFIG_EXIT_CODE } from '../lib/config/env.js';
import { createLogger, errorInfo } from '../lib/log.js';
import { ConfigError, USAGE, loadConfig, saveRunnerToken } from './config.js';
import { ProtocolClient } from './protocol-client.js';
import { FatalRunnerError, Runner } from './runner.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ct-runner: ${err.message}\n`);
      return CONFIG_EXIT_CODE;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { command, config } = parsed;
  const logger = createLogger('runner').child({ runner: config.name });

  if (command === 'unregister') {
    if (!config.runnerToken) {
      process.stderr.write(`ct-runner: no runner token in ${config.configFile}: nothing to unregister\n`);
      return 2;
    }
    await new ProtocolClient(config.url).unregister(config.runnerToken);
    saveRunnerToken(config.configFile, undefined);
    logger.info({ configFile: config.configFile }, 'unregistered');
    return 0;
  }

  const runner = new Runner(config, logger);
  if (command === 'register') {
    await runner.register();
    return 0;
  }
  // `on`, not `once`: a second signal must not kill node by default and orphan ffmpeg (stop is idempotent).
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void runner.stop(sig));
  try {
    await runner.start();
  } catch (err) {
    // A stop signal during start (e.g. while registration backs off) is a normal exit.
    if (!runner.isStopping) {
      logger.fatal({ err: errorInfo(err) }, err instanceof Error ? err.message : String(err));
      await runner.stop('start failed', 1);
    }
  }
  return runner.done;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof FatalRunnerError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`ct-runner: ${message}\n`);
    process.exit(1);
  },
);
