#!/usr/bin/env node
// npm run listen: Roster's `stripe listen`. Starts a receiver on localhost, registers it as an
// event destination of the development organization, verifies every delivery's Standard
// Webhooks signature, prints each event, optionally re-sends it (signed the same way) to your
// own endpoint, and deletes the destination again on Ctrl-C.
//
//   npm run listen -- [--roster http://127.0.0.1:8787] [--key rk_…] [--types customer.*,address.*]
//                     [--forward-to http://localhost:3000/webhooks]
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";

const { values } = parseArgs({
  options: {
    roster: { type: "string", default: "http://127.0.0.1:8787" },
    key: { type: "string", default: "rk_dev_local_development_key" },
    types: { type: "string" },
    "forward-to": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log("npm run listen -- [--roster URL] [--key rk_…] [--types customer.*,address.created] [--forward-to URL]");
  process.exit(0);
}

const roster = values.roster.replace(/\/+$/, "");
const forwardTo = values["forward-to"];

async function api(method, path, body) {
  const response = await fetch(`${roster}${path}`, {
    method,
    headers: { Authorization: `Bearer ${values.key}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

let webhook = null;

async function forward(rawBody, messageId) {
  // One reading of the clock for the signature and the header it is checked against.
  const now = new Date();
  const signature = webhook.sign(messageId, now, rawBody);
  try {
    const response = await fetch(forwardTo, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "webhook-id": messageId,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body: rawBody,
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
    await response.body?.cancel();
    console.log(`    → forwarded to ${forwardTo}: ${response.status}`);
    return response.status >= 200 && response.status < 300;
  } catch (error) {
    console.log(`    → forwarding to ${forwardTo} failed: ${error.message}`);
    return false;
  }
}

const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", async () => {
    const rawBody = Buffer.concat(chunks).toString("utf8");
    let event;
    try {
      event = webhook.verify(rawBody, request.headers);
    } catch (error) {
      console.log(`✗ rejected a delivery: ${error.message}`);
      response.writeHead(401).end();
      return;
    }
    const time = new Date().toISOString().slice(11, 23);
    console.log(
      `${time}  ${event.type.padEnd(24)} ${event.id}  customer ${event.customer_id}  sequence ${event.sequence}`,
    );
    const ok = forwardTo ? await forward(rawBody, request.headers["webhook-id"]) : true;
    // A failed forward answers 502, so Roster retries the delivery on its schedule.
    response.writeHead(ok ? 204 : 502).end();
  });
});

server.listen(0, "127.0.0.1", async () => {
  const { port } = server.address();
  const url = `http://127.0.0.1:${port}/events`;
  let destination;
  try {
    destination = await api("POST", "/v1/event_destinations", {
      url,
      description: "npm run listen",
      ...(values.types ? { event_types: values.types.split(",").map((type) => type.trim()) } : {}),
    });
  } catch (error) {
    console.error(`Could not register ${url} with Roster at ${roster}: ${error.message}`);
    console.error("Is `npm run dev` running (it allows http:// destinations on loopback)?");
    server.close();
    process.exitCode = 1;
    return;
  }
  webhook = new Webhook(destination.secret);
  console.log(`Listening on ${url} as event destination ${destination.id} (${destination.event_types.join(", ")})`);
  console.log(`Signing secret: ${destination.secret}`);
  if (forwardTo) console.log(`Forwarding verified events to ${forwardTo}, signed with that secret`);
  console.log("Ctrl-C to stop (the destination is deleted).\n");

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await api("DELETE", `/v1/event_destinations/${destination.id}`);
      console.log(`\nDeleted event destination ${destination.id}.`);
    } catch (error) {
      console.error(`\nCould not delete event destination ${destination.id}: ${error.message}`);
    }
    server.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
});
