/** The Confluent wire format, both framings in one registry, subjects and the registry flags. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { schemaRegistryOption, subjectStrategyOption } from '../../common/cli-options';
import { ConfigError, DecodeError } from '../../common/errors';
import { encodeConfluent, encodeConfluentHeader, readConfluentId } from '../../schemas/confluent-wire';
import { createSchemaRegistry, parseSchema, UnknownRegistryIdError } from '../../schemas/registry';
import { createRegistryClient, RegistryError } from '../../schemas/registry-client';
import { writerSubjects } from '../../schemas/register-writers';
import { subjectName } from '../../schemas/subjects';
import { DIST_DIR } from '../helpers/env';
import { fileEvent, statsEvent } from '../helpers/samples';

const plain = (v: unknown): unknown => structuredClone(v);

test('wire: magic byte 0, 4-byte big-endian id, body; short or foreign messages are DecodeErrors', () => {
  assert.deepEqual([...encodeConfluentHeader(0x01020304)], [0, 1, 2, 3, 4]);
  const msg = encodeConfluent(70000, Buffer.from('body'));
  assert.equal(readConfluentId(msg), 70000);
  assert.deepEqual(msg.subarray(5), Buffer.from('body'));
  assert.throws(
    () => readConfluentId(Buffer.from([0, 0, 1])),
    (e) => e instanceof DecodeError && /shorter than the 5-byte/.test(e.message),
  );
  assert.throws(
    () => readConfluentId(Buffer.from([0xc3, 1, 2, 3, 4, 5])),
    (e) => e instanceof DecodeError && /starts with c3, want 00/.test(e.message),
  );
  assert.throws(() => encodeConfluentHeader(-1), RangeError);
});

test('a kind switched to a registry id encodes 00+id; one registry decodes both framings', () => {
  const writer = createSchemaRegistry();
  const single = writer.encode('file', fileEvent);
  writer.useRegistryId('file', 42);
  assert.equal(writer.writerId('file'), 42);
  assert.equal(writer.writerId('net'), undefined);
  const framed = writer.encode('file', fileEvent);
  assert.deepEqual([...framed.subarray(0, 5)], [0, 0, 0, 0, 42]);
  // Same body after either header.
  assert.deepEqual(framed.subarray(5), single.subarray(10));
  assert.deepEqual([...writer.encode('stats', statsEvent).subarray(0, 2)], [0xc3, 0x01], 'other kinds keep single-object');

  const reader = createSchemaRegistry();
  assert.deepEqual(plain(reader.decode('file', single)), fileEvent);
  assert.throws(
    () => reader.decode('file', framed),
    (e) => e instanceof UnknownRegistryIdError && e.registryId === 42,
  );
  reader.addRegistered(42, parseSchema(JSON.stringify(reader.current('file').type.schema({ exportAttrs: true }))));
  assert.deepEqual(plain(reader.decode('file', framed)), fileEvent);
  assert.throws(
    () => reader.decode('file', Buffer.concat([framed, Buffer.from([1])])),
    (e) => e instanceof DecodeError && /trailing data/.test(e.message),
  );
  assert.throws(
    () => reader.decode('file', framed.subarray(0, framed.length - 3)),
    (e) => e instanceof DecodeError && !(e instanceof UnknownRegistryIdError),
  );
});

test('a registered writer schema with an extra defaulted field resolves into the reader schema', () => {
  const reader = createSchemaRegistry();
  const base = reader.current('file').type.schema({ exportAttrs: true }) as { fields: unknown[] };
  const newer = parseSchema(JSON.stringify({ ...base, fields: [...base.fields, { name: 'extra', type: 'string', default: '' }] }));
  reader.addRegistered(7, newer);
  const body = newer.toBuffer({ ...fileEvent, extra: 'ignored by older readers' });
  assert.deepEqual(plain(reader.decode('file', encodeConfluent(7, body))), fileEvent);
});

test('subject name strategies', () => {
  assert.equal(subjectName('topic', 'ea.file', 'io.ebpfaudit.FileEvent'), 'ea.file-value');
  assert.equal(subjectName('record', 'ea.file', 'io.ebpfaudit.FileEvent'), 'io.ebpfaudit.FileEvent');
  assert.equal(subjectName('topic-record', 'ea.file', 'io.ebpfaudit.FileEvent'), 'ea.file-io.ebpfaudit.FileEvent');
  assert.deepEqual(writerSubjects({ file: 'ea.file', stats: 'ea.stats' }, createSchemaRegistry(), 'record'), { file: 'io.ebpfaudit.FileEvent', stats: 'io.ebpfaudit.StatsEvent' });
  assert.throws(
    () => subjectStrategyOption('subject'),
    (e) => e instanceof ConfigError && /--subject-strategy must be topic, record, topic-record/.test(e.message),
  );
});

test('--schema-registry flags: URL checks, password from a file or the environment only', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-sr-opts-'));
  const pw = path.join(dir, 'pw');
  fs.writeFileSync(pw, 'file-s3cret\n');
  const fails = (o: Parameters<typeof schemaRegistryOption>[0], re: RegExp) =>
    assert.throws(
      () => schemaRegistryOption(o),
      (e) => e instanceof ConfigError && re.test(e.message),
    );
  assert.equal(schemaRegistryOption({}), undefined);
  assert.deepEqual(schemaRegistryOption({ schemaRegistry: 'http://127.0.0.1:8081/' }), { url: 'http://127.0.0.1:8081', username: undefined, password: undefined, ca: undefined });
  assert.deepEqual(schemaRegistryOption({ schemaRegistry: 'http://r:8081', schemaRegistryUser: 'u', schemaRegistryPasswordFile: pw }), {
    url: 'http://r:8081',
    username: 'u',
    password: 'file-s3cret',
    ca: undefined,
  });
  // schemaRegistryPassword: what the configuration layer took from EBPF_AUDIT_SCHEMA_REGISTRY_PASSWORD.
  assert.equal(schemaRegistryOption({ schemaRegistry: 'http://r:8081', schemaRegistryUser: 'e', schemaRegistryPassword: 'env-s3cret' })?.password, 'env-s3cret');
  fails({ schemaRegistry: 'http://r', schemaRegistryPassword: 'p' }, /a schema registry password needs --schema-registry-user/);
  fails({ schemaRegistry: 'http://u:p@r:8081' }, /no credentials in the URL/);
  fails({ schemaRegistry: 'ftp://r' }, /http or https/);
  fails({ schemaRegistry: 'r:8081:x' }, /is not a URL|http or https/);
  fails({ schemaRegistryUser: 'u' }, /^--schema-registry-user needs --schema-registry$/);
  fails({ schemaRegistry: 'http://r', schemaRegistryUser: 'u' }, /needs --schema-registry-password-file or EBPF_AUDIT_SCHEMA_REGISTRY_PASSWORD/);
  fails({ schemaRegistry: 'http://r', schemaRegistryCa: pw }, /needs an https/);
  fails({ schemaRegistry: 'https://r', schemaRegistryCa: path.join(dir, 'none.pem') }, /--schema-registry-ca .*ENOENT/);
  fs.rmSync(dir, { recursive: true });
});

test('the registry password comes from the environment, never argv, and --print-config masks it', () => {
  const cli = path.join(DIST_DIR, 'consumer/cli.js');
  const argv = [cli, 'tail', '--schema-registry', 'https://r.example:8081', '--schema-registry-user', 'svc'];
  const env = { ...process.env, EBPF_AUDIT_SCHEMA_REGISTRY_PASSWORD: 'env-s3cret-XYZ' };
  const shown = spawnSync(process.execPath, [...argv, '--print-config'], { encoding: 'utf8', env });
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /schema-registry-password/);
  assert.doesNotMatch(shown.stdout + shown.stderr, /env-s3cret-XYZ/);
  const onArgv = spawnSync(process.execPath, [...argv, '--schema-registry-password', 'argv-s3cret', '--print-config'], { encoding: 'utf8', env });
  assert.equal(onArgv.status, 2);
  assert.match(onArgv.stderr, /--schema-registry-password is never read from the command line/);
});

test("registry client: basic auth header, the registry's answer in errors, outages retriable and refusals not", async () => {
  // Apicurio's basic auth needs a Keycloak server, so the local registry cannot check credentials:
  // a loopback server records what the client sends and answers as Confluent's registry does.
  const seen: http.IncomingHttpHeaders[] = [];
  const answers: [number, unknown][] = [
    [200, { id: 5 }],
    [409, { error_code: 409, message: 'Schema being registered is incompatible with an earlier schema' }],
    [503, { message: 'busy' }],
  ];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    const [status, body] = answers.shift()!;
    req.resume().on('end', () => res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify(body)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/base`;
  const client = createRegistryClient({ url, username: 'svc', password: 'pä ss:word' });
  try {
    assert.equal(await client.register('ea.file-value', '"string"'), 5);
    assert.equal(seen[0].authorization, `Basic ${Buffer.from('svc:pä ss:word').toString('base64')}`);
    assert.equal(seen[0]['content-type'], 'application/vnd.schemaregistry.v1+json');
    await assert.rejects(
      client.register('ea.file-value', '"string"'),
      (e) =>
        e instanceof RegistryError &&
        e.status === 409 &&
        !e.retriable &&
        /\/base\/subjects\/ea\.file-value\/versions: HTTP 409: Schema being registered is incompatible/.test(e.message),
    );
    await assert.rejects(client.schemaById(1), (e) => e instanceof RegistryError && e.status === 503 && e.retriable);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await assert.rejects(client.schemaById(1), (e) => e instanceof RegistryError && e.status === undefined && e.retriable && /ECONNREFUSED|ECONNRESET/.test(e.message));
});
