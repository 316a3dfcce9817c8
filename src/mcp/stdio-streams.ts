// The streams `mikey mcp` speaks MCP on: this process's stdin and stdout, or, when the fast front
// (fast-front.ts) answered the handshake, the streams behind its filter.
import type { Readable, Writable } from 'node:stream';

let streams: { input: Readable; output: Writable } | undefined;

export function setStdioStreams(s: { input: Readable; output: Writable }): void {
  streams = s;
}

export function stdioStreams(): { input: Readable; output: Writable } {
  return streams ?? { input: process.stdin, output: process.stdout };
}
