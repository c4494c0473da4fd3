'use strict';
// rmq-namesrv + rmq-broker driven by the ali-ons Node.js client (run by
// run.sh, which starts both and passes their addresses in the environment):
// topics are created on the broker with a hand-written UPDATE_AND_CREATE_TOPIC
// frame, an ali-ons producer sends, ali-ons push consumers receive.
//
// ali-ons keeps timers running after close() (its internal producer), so the
// last hook ends the process itself once the runner has the results.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { Producer, Consumer, Message } = require('ali-ons');

const NAMESRV = process.env.RMQ_NAMESRV_ADDR;
const BROKER = process.env.RMQ_BROKER_ADDR;
const COUNT = 1000;
const RECEIVE_TIMEOUT_MS = 90000;
const RETRY_TIMEOUT_MS = 60000;
// Short client periods so that routes (the retry topic's too) and rebalances
// are picked up within seconds.
const CLIENT_OPTIONS = {
  nameSrv: NAMESRV,
  httpclient: {},
  pollNameServerInteval: 1000,
  heartbeatBrokerInterval: 2000,
  rebalanceInterval: 2000,
  persistConsumerOffsetInterval: 1000,
};

assert.ok(NAMESRV && BROKER, 'RMQ_NAMESRV_ADDR and RMQ_BROKER_ADDR must be set (see run.sh)');

const clients = [];
let opaque = 1;

// ---- raw remoting (protocol.md 1.1, 1.4) ----

function frame(code, extFields) {
  const header = Buffer.from(JSON.stringify({
    code, extFields, flag: 0, language: 'JAVA', opaque: opaque++,
    serializeTypeCurrentRPC: 'JSON', version: 409,
  }));
  const buf = Buffer.alloc(8 + header.length);
  buf.writeInt32BE(4 + header.length, 0);
  buf.writeInt32BE(header.length, 4); // serialize type 0 (JSON) in the high byte
  header.copy(buf, 8);
  return buf;
}

// One request on its own connection; resolves to { header, body }.
function request(addr, code, extFields, timeoutMs = 5000) {
  const [ host, port ] = addr.split(':');
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port: Number(port) });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`request ${code} to ${addr}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(frame(code, extFields)));
    sock.on('error', err => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('data', chunk => {
      data = Buffer.concat([ data, chunk ]);
      if (data.length < 4 || data.length < 4 + data.readInt32BE(0)) return;
      clearTimeout(timer);
      sock.destroy();
      const len = data.readInt32BE(0);
      const word = data.readInt32BE(4);
      assert.equal(word >>> 24, 0, 'the answer to a JSON request is JSON');
      const hlen = word & 0xFFFFFF;
      resolve({
        header: JSON.parse(data.subarray(8, 8 + hlen).toString('utf8')),
        body: data.subarray(8 + hlen, 4 + len),
      });
    });
  });
}

async function createTopic(topic, queues) {
  const { header } = await request(BROKER, 17, {
    topic, defaultTopic: 'TBW102', readQueueNums: String(queues), writeQueueNums: String(queues),
    perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
  });
  assert.equal(header.code, 0, `UPDATE_AND_CREATE_TOPIC ${topic}: ${header.remark}`);
  // The broker registers the new topic with the name server at once.
  const deadline = Date.now() + 10000;
  for (;;) {
    const route = await request(NAMESRV, 105, { topic });
    if (route.header.code === 0) return;
    if (Date.now() > deadline) throw new Error(`no route for ${topic} after 10 s`);
    await sleep(100);
  }
}

function sleep(ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

async function waitFor(what, cond, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function newProducer(group) {
  const producer = new Producer({ ...CLIENT_OPTIONS, producerGroup: group });
  clients.push(producer);
  await producer.ready();
  return producer;
}

async function newConsumer(group, topic, expr, handler) {
  const consumer = new Consumer({
    ...CLIENT_OPTIONS,
    consumerGroup: group,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  clients.push(consumer);
  // Until its first heartbeat creates %RETRY%<group> on the broker, ali-ons
  // reports the missing route of that topic as an error: expected, ignored.
  consumer.errors = [];
  consumer.on('error', err => {
    if (!/No topic route info in name server for the topic: %RETRY%/.test(err.message)) {
      consumer.errors.push(err);
    }
  });
  consumer.subscribe(topic, expr, handler);
  await consumer.ready();
  return consumer;
}

// ---- tests ----

function bodyOf(i) {
  // Every 100th body is large enough for ali-ons to compress it.
  const text = `interop message ${i} ` + (i % 100 === 0 ? 'x'.repeat(6000) : 'é✓');
  return Buffer.from(text, 'utf8');
}

test('1,000 messages from an ali-ons producer reach ali-ons consumers as sent', async () => {
  const topic = 'InteropTopic';
  await createTopic(topic, 4);
  const producer = await newProducer('PID_INTEROP');

  const sent = new Map();
  for (let base = 0; base < COUNT; base += 50) {
    const batch = [];
    for (let i = base; i < base + 50; i++) {
      const msg = new Message(topic, i % 2 === 0 ? 'TagA' : 'TagB', bodyOf(i));
      msg.keys = [ `key-${i}` ];
      sent.set(`key-${i}`, { body: msg.body, tags: msg.tags });
      batch.push(producer.send(msg).then(r => {
        assert.equal(r.sendStatus, 'SEND_OK', `send ${i}`);
        assert.match(r.msgId, /^[0-9A-F]{32}$/);
      }));
    }
    await Promise.all(batch);
  }

  // A group taking everything, and one taking TagA only.
  const all = new Map();
  const tagA = new Map();
  const record = (map, msg) => {
    const prev = map.get(msg.keys);
    map.set(msg.keys, prev ? { ...prev, count: prev.count + 1 } : {
      body: Buffer.from(msg.body), tags: msg.tags, topic: msg.topic, count: 1,
    });
  };
  const cAll = await newConsumer('GID_INTEROP_ALL', topic, '*', async msg => record(all, msg));
  const cTagA = await newConsumer('GID_INTEROP_TAGA', topic, 'TagA', async msg => record(tagA, msg));

  await waitFor(`${COUNT} messages in GID_INTEROP_ALL (got ${all.size})`,
    () => all.size >= COUNT, RECEIVE_TIMEOUT_MS);
  await waitFor(`${COUNT / 2} TagA messages in GID_INTEROP_TAGA (got ${tagA.size})`,
    () => tagA.size >= COUNT / 2, RECEIVE_TIMEOUT_MS);
  await sleep(1000); // room for duplicates or strays to show up

  assert.equal(all.size, COUNT);
  for (const [ key, want ] of sent) {
    const got = all.get(key);
    assert.ok(got, `${key} not received`);
    assert.equal(got.count, 1, `${key} received ${got.count} times`);
    assert.equal(got.topic, topic);
    assert.equal(got.tags, want.tags, `${key} tags`);
    assert.ok(got.body.equals(want.body), `${key} body differs`);
  }
  assert.equal(tagA.size, COUNT / 2);
  for (const [ key, got ] of tagA) {
    assert.equal(got.tags, 'TagA', `${key} should have been filtered out`);
    assert.equal(got.count, 1, `${key} received ${got.count} times`);
    assert.ok(got.body.equals(sent.get(key).body), `${key} body differs`);
  }
  assert.deepEqual(cAll.errors, []);
  assert.deepEqual(cTagA.errors, []);
});

test('a message whose consumer throws comes back through the retry topic', async () => {
  const topic = 'InteropRetry';
  const group = 'GID_INTEROP_RETRY';
  await createTopic(topic, 1);
  const producer = await newProducer('PID_INTEROP_RETRY');
  const msg = new Message(topic, 'TagRetry', 'retry me');
  msg.keys = [ 'retry-key' ];
  const result = await producer.send(msg);
  assert.equal(result.sendStatus, 'SEND_OK');

  const deliveries = [];
  const consumer = await newConsumer(group, topic, '*', async m => {
    deliveries.push({
      body: m.body.toString(), tags: m.tags, keys: m.keys, topic: m.topic,
      reconsumeTimes: m.reconsumeTimes, retryTopic: m.retryTopic, at: Date.now(),
    });
    if (deliveries.length === 1) throw new Error('failing the first delivery on purpose');
  });
  // Send-back level 3 + reconsumeTimes = 10 s with the default delay levels.
  await waitFor('the redelivery', () => deliveries.length >= 2, RETRY_TIMEOUT_MS);
  await sleep(1000);

  assert.equal(deliveries.length, 2, JSON.stringify(deliveries));
  const [ first, second ] = deliveries;
  assert.equal(first.reconsumeTimes, 0);
  assert.equal(second.reconsumeTimes, 1);
  for (const d of deliveries) {
    assert.equal(d.body, 'retry me');
    assert.equal(d.tags, 'TagRetry');
    assert.equal(d.keys, 'retry-key');
    assert.equal(d.topic, topic); // ali-ons restores it from RETRY_TOPIC
  }
  assert.equal(second.retryTopic, topic);
  assert.ok(second.at - first.at >= 9000, `redelivered after ${second.at - first.at} ms`);
  assert.equal(consumer.errors.length, 1);
  assert.match(consumer.errors[0].message, /failing the first delivery on purpose/);
});

after(async () => {
  await Promise.race([
    Promise.allSettled(clients.map(c => c.close())),
    sleep(5000),
  ]);
  // ali-ons leaves its internal producer's timers running: end the process
  // once the runner has written the results.
  setTimeout(() => process.exit(), 500);
});

// librocketmq (C) produces, ali-ons consumes: the properties string, the
// compressed bodies (zlib, sysFlag 0x301), tags, keys and user properties
// written by our producer read the same in a third-party client.
test('messages from the C producer reach an ali-ons consumer as sent', async () => {
  const { execFile } = require('node:child_process');
  const topic = 'CProducerTopic';
  const count = COUNT;
  const out = await new Promise((resolve, reject) => {
    execFile(process.env.RMQ_C_SEND, [ NAMESRV, topic, String(count) ],
      { timeout: 60000, env: { ...process.env, RMQ_LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) => (err ? reject(new Error(`c_send: ${err.message} ${stderr}`)) : resolve(stdout)));
  });
  const sent = new Map();
  for (const line of out.trim().split('\n')) {
    const [ key, tags, offsetMsgId, msgId, len ] = line.split(' ');
    const i = Number(key.slice(4));
    let body = `c producer message ${i} `;
    if (i % 10 === 0) body += 'x'.repeat(6000);
    assert.equal(Number(len), Buffer.byteLength(body));
    assert.match(msgId, /^[0-9A-F]{32}$/);
    sent.set(key, { tags, offsetMsgId, msgId, body: Buffer.from(body) });
  }
  assert.equal(sent.size, count);

  const got = new Map();
  const consumer = await newConsumer('GID_C_INTEROP', topic, '*', async msg => {
    got.set(msg.keys, {
      tags: msg.tags, body: Buffer.from(msg.body), msgId: msg.msgId,
      props: msg.properties, count: (got.get(msg.keys)?.count || 0) + 1,
    });
  });
  await waitFor(`${count} messages from the C producer (got ${got.size})`,
    () => got.size >= count, RECEIVE_TIMEOUT_MS);
  await sleep(500);
  assert.equal(got.size, count);
  for (const [ key, want ] of sent) {
    const m = got.get(key);
    assert.ok(m, `${key} not received`);
    assert.equal(m.count, 1, `${key} received ${m.count} times`);
    assert.equal(m.tags, want.tags, `${key} tags`);
    assert.ok(m.body.equals(want.body), `${key} body differs`);
    assert.equal(m.msgId, want.offsetMsgId, `${key} offset message id`);
    assert.equal(m.props.UNIQ_KEY, want.msgId, `${key} unique id`);
    assert.equal(m.props.origin, 'librocketmq', `${key} user property`);
  }
  assert.deepEqual(consumer.errors, []);
});

// ali-ons produces, librocketmq's push consumer (tests/interop/c_consume.c)
// consumes: tags, keys, a user property, bodies ali-ons compressed (zlib,
// >= 4 KiB), binary bodies and the message ids read the same in C.
function aliBody(i) {
  if (i % 25 === 0) return Buffer.from(`ali message ${i} ` + 'z'.repeat(5000) + ' é✓', 'utf8');
  if (i % 100 === 13) { // > 4 KiB and incompressible: pseudo-random bytes
    const b = Buffer.alloc(4500);
    let x = i * 2654435761 >>> 0;
    for (let j = 0; j < b.length; j++) {
      x = (x * 1103515245 + 12345) >>> 0;
      b[j] = x >>> 24;
    }
    return b;
  }
  if (i % 7 === 0) { // every byte value, separators and NULs included
    const b = Buffer.alloc(300);
    for (let j = 0; j < b.length; j++) b[j] = (i * 31 + j) & 0xff;
    return b;
  }
  return Buffer.from(`ali message ${i} é✓`, 'utf8');
}

test('messages from an ali-ons producer reach the C push consumer intact', async () => {
  const { execFile } = require('node:child_process');
  const topic = 'AliToCTopic';
  const group = 'GID_C_CONSUME';
  await createTopic(topic, 4);
  const producer = await newProducer('PID_ALI_TO_C');

  const sent = new Map();
  for (let base = 0; base < COUNT; base += 50) {
    const batch = [];
    for (let i = base; i < base + 50; i++) {
      const key = `ali-${i}`;
      const body = aliBody(i); // ali-ons replaces msg.body when it compresses
      const msg = new Message(topic, i % 3 === 0 ? 'TagC' : 'TagD', body);
      msg.keys = [ key ];
      msg.properties.origin = 'ali-ons';
      const want = { body, tags: msg.tags };
      sent.set(key, want);
      batch.push(producer.send(msg).then(r => {
        assert.equal(r.sendStatus, 'SEND_OK', `send ${i}`);
        want.msgId = r.msgId;
      }));
    }
    await Promise.all(batch);
  }
  assert.equal(sent.size, COUNT);

  const out = await new Promise((resolve, reject) => {
    execFile(process.env.RMQ_C_CONSUME, [ NAMESRV, topic, group, String(COUNT), String(RECEIVE_TIMEOUT_MS) ],
      { timeout: RECEIVE_TIMEOUT_MS + 20000, maxBuffer: 64 << 20, env: { ...process.env, RMQ_LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) => (err ? reject(new Error(`c_consume: ${err.message} ${stderr}`)) : resolve(stdout)));
  });
  const got = new Map();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [ keys, tags, t, msgId, offsetMsgId, reconsumeTimes, origin, len, hex ] = line.split('\t');
    const body = Buffer.from(hex, 'hex');
    assert.equal(body.length, Number(len), `${keys}: body length`);
    const prev = got.get(keys);
    got.set(keys, { tags, topic: t, msgId, offsetMsgId, reconsumeTimes: Number(reconsumeTimes),
      origin, body, count: (prev?.count || 0) + 1 });
  }
  assert.equal(got.size, COUNT);
  for (const [ key, want ] of sent) {
    const m = got.get(key);
    assert.ok(m, `${key} not received`);
    assert.equal(m.count, 1, `${key} received ${m.count} times`);
    assert.equal(m.topic, topic, `${key} topic`);
    assert.equal(m.tags, want.tags, `${key} tags`);
    assert.equal(m.origin, 'ali-ons', `${key} user property`);
    assert.equal(m.reconsumeTimes, 0, `${key} reconsume times`);
    assert.ok(m.body.equals(want.body), `${key} body differs`);
    // ali-ons sets no UNIQ_KEY: the id is the offset message id it was told
    assert.equal(m.offsetMsgId, want.msgId, `${key} offset message id`);
    assert.equal(m.msgId, want.msgId, `${key} message id`);
  }
});
