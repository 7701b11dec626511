import { setFlagsFromString } from 'node:v8';

/**
 * V8 lets the young generation grow to 16 MB semi-spaces, and a server that idles between small JSON-RPC
 * messages keeps them committed: about 23 MB of its ~115 MB resident memory. The binary keeps the young
 * generation at its initial size instead (set at run time, `--max-semi-space-size` is not honoured; the growth
 * factor is). Scavenges get more frequent but stay cheap, since a request's garbage is small and tensors live in
 * ArrayBuffers outside the young generation. Imported first by the binary; an explicit semi-space flag wins.
 */
const flags = `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;
if (!/--(max-)?semi-space/.test(flags)) setFlagsFromString('--semi-space-growth-factor=1');
