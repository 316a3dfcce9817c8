// An in-process MCP client bound to one identity: the chat agent and the offline command
// understanding call MIKEY's tools through it, so MCP stays the one source of truth.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Services } from '../services/index.js';
import { createMcpServer, type McpCatalogue, type SessionIdentity } from './server.js';

export interface InProcessClient {
  client: Client;
  close(): Promise<void>;
}

export async function connectInProcess(services: Services, identity: SessionIdentity, catalogue: McpCatalogue, name = 'mikey-in-process'): Promise<InProcessClient> {
  const server = createMcpServer(services, identity, catalogue);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name, version: '0.1.0' });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
