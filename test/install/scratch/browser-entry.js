// Bundled with esbuild in the scratch project and run in Chromium: two clients of the installed SDK
// (binary Protobuf and JSON) subscribe to a channel; what they receive lands in window.__installResult.
import { Client } from '@switchboard/client';

const { wsUrl, token, channel } = window.__installTest;
const result = { subscribed: 0, received: {} };
window.__installResult = result;
for (const format of ['protobuf', 'json']) {
  const client = new Client(wsUrl, { getToken: async () => token, format });
  const subscription = client.subscribe(channel);
  subscription.once('subscribed', () => {
    result.subscribed += 1;
  });
  subscription.once('publication', (p) => {
    result.received[format] = { type: p.type, payload: new TextDecoder().decode(p.payload) };
  });
  client.connect();
}
