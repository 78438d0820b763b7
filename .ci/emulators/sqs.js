#!/usr/bin/env node
// Starts local-aws-sqs (an SQS emulator speaking both the query and the JSON protocol; it has no
// command line of its own): `node sqs.js [--port N] [--hostname H]`. Port 0 (the default) takes a
// free port; once listening it prints "listening http://H:PORT" on one line, which is what the tests
// and .ci/run wait for (no polling, no fixed ports needed).
//
// Two answers of local-aws-sqs 2.0.2 differ from SQS's JSON protocol, and AWSSDK.SQS 4 trips on
// them; this shim makes them what SQS sends (nothing else is touched):
// - a ReceiveMessage that finds nothing answers 200 with an empty body, which the SDK cannot parse:
//   SQS answers {};
// - ReceiveMessage reads the discontinued AttributeNames only, not MessageSystemAttributeNames (what
//   the SDK sends, and SQS honours), so ApproximateReceiveCount never came back.
"use strict";
const http = require("http");
const { PassThrough } = require("stream");
const { createRequestHandler } = require("local-aws-sqs");

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const port = Number(option("--port", "0"));
const hostname = option("--hostname", "127.0.0.1");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`sqs.js: --port ${option("--port")} is not a port number (0-65535)`);
  process.exit(2);
}

const { service, requestHandler } = createRequestHandler({ port, hostname });
const json = "application/x-amz-json-1.0";

const server = http.createServer((req, res) => {
  if (req.headers["content-type"] !== json) {
    return requestHandler(req, res);
  }

  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    let body = Buffer.concat(chunks).toString("utf8");
    try {
      const parsed = JSON.parse(body);
      if (Array.isArray(parsed.MessageSystemAttributeNames)) {
        parsed.AttributeNames = [...new Set([...(parsed.AttributeNames || []), ...parsed.MessageSystemAttributeNames])];
        body = JSON.stringify(parsed);
      }
    } catch {
      // not JSON: the emulator answers it as it does
    }

    const replay = new PassThrough();
    replay.headers = req.headers;
    replay.method = req.method;
    replay.url = req.url;
    const end = res.end.bind(res);
    res.end = (data, ...rest) => (res.statusCode === 200 && (data === undefined || data === "") ? end("{}") : end(data, ...rest));
    requestHandler(replay, res);
    replay.end(body);
  });
});

server.on("error", (e) => {
  console.error(`sqs.js: ${e.message}`);
  process.exit(1);
});
server.listen(port, hostname, () => {
  service.PORT = server.address().port; // queue URLs name the port taken
  console.log(`listening http://${hostname}:${server.address().port}`);
});
