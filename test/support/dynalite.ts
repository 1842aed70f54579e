// TypeScript skips a .d.ts that shares its name with a .ts file, so the module shim is referenced explicitly.
/// <reference path="./dynalite.d.ts" />
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { STATE_TABLE_PARTITION_KEY } from '../../lambda/adapters/dynamodb-state-store';

export interface DynaliteHandle {
  /** `http://127.0.0.1:<port>`: pass it as `endpoint` (tests only; production relies on defaults). */
  endpoint: string;
  /** A state table created at start. */
  tableName: string;
  /** A client already pointed at this dynalite (region us-east-1, dummy credentials). */
  client: DynamoDBClient;
  /** Builds another client for this dynalite; the caller destroys it. */
  newClient(): DynamoDBClient;
  /** Creates a state table (pk HASH string, on demand) and waits until it is ACTIVE. */
  createTable(name?: string): Promise<string>;
  stop(): Promise<void>;
}

let tableCounter = 0;

/** In-memory DynamoDB on a free port, for tests that must see real conditional writes. */
export async function startDynalite(): Promise<DynaliteHandle> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  const newClient = (): DynamoDBClient => {
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      // Errors are what some tests are about: retrying them only slows the suite down.
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const client = newClient();

  const createTable = async (name?: string): Promise<string> => {
    const tableName = name ?? `pod-watch-state-${++tableCounter}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: STATE_TABLE_PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: STATE_TABLE_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (let i = 0; i < 100; i++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') return tableName;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`dynalite table ${tableName} did not become ACTIVE`);
  };

  const tableName = await createTable();

  const stop = async (): Promise<void> => {
    for (const c of clients) c.destroy();
    // Keep-alive sockets of the SDK would otherwise hold close() open.
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  };

  return { endpoint, tableName, client, newClient, createTable, stop };
}
