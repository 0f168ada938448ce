/** Structured request logs: X-Request-Id, the id on every line of a request, slow requests, no secrets. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { appWithLogs } from './telemetry-helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

void describe('request logs', () => {
  void it('answers with the caller’s sane X-Request-Id, or a fresh one instead of an unsafe one', async () => {
    const { app, close } = await appWithLogs({ PLUMB_LOG_LEVEL: 'silent' });
    try {
      const kept = await app.http.inject({ url: '/health', headers: { 'x-request-id': 'lb-7f3a:42' } });
      assert.equal(kept.headers['x-request-id'], 'lb-7f3a:42');
      const made = await app.http.inject({ url: '/health' });
      assert.match(String(made.headers['x-request-id']), UUID);
      for (const hostile of ['a b', 'x'.repeat(129), 'id\u0007', '{"json":1}']) {
        const replaced = await app.http.inject({ url: '/health', headers: { 'x-request-id': hostile } });
        assert.match(String(replaced.headers['x-request-id']), UUID, JSON.stringify(hostile));
      }
      // Error answers carry it too.
      const missing = await app.http.inject({ url: '/api/2.0/mlflow/nope', headers: { 'x-request-id': 'err-1' } });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.headers['x-request-id'], 'err-1');
      // A request an earlier hook refuses ('#' in the target) is answered with the id as well.
      const address = new URL(await app.http.listen({ host: '127.0.0.1', port: 0 }));
      const socket = connect(Number(address.port), '127.0.0.1');
      socket.end('GET /health#x HTTP/1.1\r\nHost: a\r\nX-Request-Id: hash-1\r\nConnection: close\r\n\r\n');
      const raw = (await text(socket)).toLowerCase();
      assert.match(raw, /^http\/1\.1 400 /);
      assert.match(raw, /\r\nx-request-id: hash-1\r\n/);
    } finally {
      await close();
    }
  });

  void it('logs requests slower than PLUMB_SLOW_REQUEST_MS with their id, route and status, secrets masked', async () => {
    const { app, lines, close } = await appWithLogs({ PLUMB_SLOW_REQUEST_MS: '0' });
    try {
      const reply = await app.http.inject({
        url: '/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default&access_token=s3cr3t&Password=hunter2',
        headers: { authorization: 'Bearer t0ken-abc', cookie: 'session=c00kie', 'x-request-id': 'slow-1' },
      });
      assert.equal(reply.statusCode, 200);
      const own = lines.filter((line) => line.reqId === 'slow-1');
      const slow = own.find((line) => line.msg === 'slow request');
      assert.ok(slow, `no slow-request line in ${JSON.stringify(lines)}`);
      assert.equal(slow.level, 40);
      assert.equal(slow.route, '/api/2.0/mlflow/experiments/get-by-name');
      assert.equal(slow.statusCode, 200);
      assert.equal(typeof slow.durationMs, 'number');
      assert.equal(
        slow.url,
        '/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default&access_token=***&Password=***',
      );
      const all = JSON.stringify(lines);
      for (const secret of ['s3cr3t', 'hunter2', 't0ken-abc', 'c00kie']) assert.ok(!all.includes(secret), secret);
    } finally {
      await close();
    }
  });

  void it('does not log fast requests under the default threshold', async () => {
    const { app, lines, close } = await appWithLogs();
    try {
      const before = lines.length;
      assert.equal((await app.http.inject({ url: '/health', headers: { 'x-request-id': 'fast-1' } })).statusCode, 200);
      assert.deepEqual(
        lines.slice(before).filter((line) => line.reqId === 'fast-1'),
        [],
      );
    } finally {
      await close();
    }
  });

  void it('every line a failing request logs carries its id, and structured credentials are censored', async () => {
    const { app, lines, close } = await appWithLogs({ PLUMB_SLOW_REQUEST_MS: '0' });
    try {
      app.logger.info({ password: 'pw-1', token: 'tk-1', headers: { authorization: 'Basic xyz' } }, 'probe');
      const probe = lines.find((line) => line.msg === 'probe');
      assert.equal(JSON.stringify(probe).match(/pw-1|tk-1|Basic xyz/), null);
      const reply = await app.http.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/runs/create',
        headers: { 'content-type': 'application/json', 'x-request-id': 'bad-1' },
        payload: '{"experiment_id": "0", ',
      });
      assert.equal(reply.statusCode, 400);
      const own = lines.filter((line) => line.reqId === 'bad-1');
      assert.ok(own.length >= 1);
      const untagged = lines.filter((line) => line.reqId === undefined && /request/.test(String(line.msg)));
      assert.deepEqual(untagged, []);
    } finally {
      await close();
    }
  });
});
