import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { SecretBox } from '../common/secret-box.js';
import { loadConfig, secretKey } from '../config/config.js';
import { BROKER_APPLICATION_NAME } from '../database/data-source.js';
import { brokerConnections, keyFile, resealSecrets, rotateKeyFile } from '../database/key-rotation.js';
import { withDatabase } from '../database/with-database.js';
import { CliError } from './cli-error.js';

/**
 * `skypool keys rotate`: re-seals the stored site credentials under a new key. The new key is
 * SKYPOOL_NEW_SECRET_KEY, or generated. Every broker on the database must be stopped first, as
 * a running one would go on with the old key: the embedded database's lock makes sure of it, and
 * on PostgreSQL the brokers' connections are told apart by their application_name.
 */
export async function rotateKeys(env: NodeJS.ProcessEnv, json: boolean, print: (line: string) => void): Promise<void> {
  const config = loadConfig(env);
  const given = secretKey(env.SKYPOOL_NEW_SECRET_KEY);
  if (given && !Buffer.isBuffer(given)) throw new CliError(`SKYPOOL_NEW_SECRET_KEY: expected ${given.expected}`);
  const newKey = given ?? randomBytes(32);

  const fileKey = keyFile(config.SKYPOOL_DATA_DIR);
  const keptInDataDir = !config.DATABASE_URL && !config.SKYPOOL_SECRET_KEY;
  if (keptInDataDir && !existsSync(fileKey)) throw new CliError(`no key to rotate: ${fileKey} does not exist (has the broker ever run with SKYPOOL_DATA_DIR=${config.SKYPOOL_DATA_DIR}?)`);
  const currentKey = config.SKYPOOL_SECRET_KEY ?? Buffer.from(readFileSync(fileKey, 'utf8').trim(), 'hex');
  if (currentKey.equals(newKey)) throw new CliError('SKYPOOL_NEW_SECRET_KEY is the current key');

  const dataDir = config.DATABASE_URL ? undefined : config.SKYPOOL_DATA_DIR;
  const sites = await withDatabase(config.DATABASE_URL, dataDir, async (dataSource) => {
    const brokers = config.DATABASE_URL ? await brokerConnections(dataSource) : 0;
    if (brokers > 0) {
      throw new CliError(
        `refused: the database has ${brokers} connection${brokers === 1 ? '' : 's'} of running brokers (application_name ${BROKER_APPLICATION_NAME}), which would go on with the old key; stop every broker first`,
      );
    }
    const reseal = () => resealSecrets(dataSource, new SecretBox(currentKey), new SecretBox(newKey)).catch((err: Error) => Promise.reject(new CliError(err.message)));
    return keptInDataDir ? rotateKeyFile(config.SKYPOOL_DATA_DIR, newKey, reseal) : reseal();
  });
  if (json) {
    // the new key only where nothing else holds it: a key made here for SKYPOOL_SECRET_KEY
    return print(JSON.stringify({ resealedSites: sites, keyFile: keptInDataDir ? fileKey : null, newKey: keptInDataDir || given ? null : newKey.toString('hex') }, null, 2));
  }
  print(`re-sealed the credentials of ${sites} site${sites === 1 ? '' : 's'} under the new key`);
  if (keptInDataDir) print(`the new key is in ${fileKey}`);
  else if (given) print('start every broker with SKYPOOL_SECRET_KEY set to the new key (SKYPOOL_NEW_SECRET_KEY)');
  else print(`new key (set SKYPOOL_SECRET_KEY to it for every broker before starting them again): ${newKey.toString('hex')}`);
}
