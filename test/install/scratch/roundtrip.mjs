// Runs in the scratch project (test/install/pack-install.test.ts) with only the installed tarballs: two
// clients (binary Protobuf and JSON) subscribe to a channel, the publisher publishes one payload through the
// bus, and the script prints what each client received as one JSON line. Also checks that the publisher
// loads with `require` (its CommonJS build).
//   node roundtrip.mjs <ws url> <token url> <bus url> <channel> <payload>
import { createRequire } from 'node:module';
import { Client } from '@switchboard/client';
import { connectBus, Publisher } from '@switchboard/publisher';
import WebSocket from 'ws';

const [wsUrl, tokenUrl, busUrl, channel, payload] = process.argv.slice(2);
const required = createRequire(import.meta.url)('@switchboard/publisher');
if (typeof required.Publisher !== 'function')
  throw new Error('require("@switchboard/publisher") has no Publisher');

const token = async () => (await (await fetch(tokenUrl)).json()).token;
const received = {};
const clients = ['protobuf', 'json'].map((format) => {
  const client = new Client(wsUrl, { getToken: token, WebSocket, format });
  const subscription = client.subscribe(channel);
  const subscribed = new Promise((resolve) => subscription.once('subscribed', resolve));
  const publication = new Promise((resolve) =>
    subscription.once('publication', (p) => {
      received[format] = { type: p.type, payload: new TextDecoder().decode(p.payload) };
      resolve();
    }),
  );
  client.connect();
  return { client, subscribed, publication };
});
const timeout = setTimeout(() => {
  console.error(`timed out; received so far: ${JSON.stringify(received)}`);
  process.exit(1);
}, 20_000);
await Promise.all(clients.map((c) => c.subscribed));
const transport = await connectBus(busUrl);
await new Publisher({ transport }).toChannel(channel, 'install.check', payload);
await Promise.all(clients.map((c) => c.publication));
clearTimeout(timeout);
for (const { client } of clients) client.disconnect();
await transport.close();
console.log(JSON.stringify(received));
