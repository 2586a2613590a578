/**
 * The configuration layer (common/cli-config.ts): config files and EBPF_AUDIT_<KEY> variables for
 * any commander command, from its declared options alone; precedence flag > env > file >
 * default; errors with file:line:col; --print-config masks secrets and reads back.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Command, CommanderError, Option } from 'commander';
import { locateConfigError, parseWithConfig, secretOption } from '../../common/cli-config';
import { collect } from '../../common/cli-options';
import { ConfigError } from '../../common/errors';
import { CONSUMER_CLI, DIST_DIR, PRODUCER_CLI } from '../helpers/env';

const TOPICS_CLI = path.join(DIST_DIR, 'producer/topics-cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-config-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

/** A command nobody wrote config code for: options of every commander kind and a variadic argument. */
function newCommand(seen: { opts?: Record<string, unknown>; args?: unknown[] }): Command {
  const program = new Command('ebpf-audit-thing').exitOverride();
  program
    .command('store')
    .argument('[inputs...]', 'input files')
    .option('--db <file>', 'database', '/var/lib/x.db')
    .option('--batch <n>', 'batch size', '100')
    .option('--tag <tags>', 'tags, repeatable', collect, [])
    .option('--verbose', 'chatty', false)
    .option('--no-compact', 'do not compact')
    .addOption(new Option('--mode <m>', 'mode').choices(['fast', 'safe']).default('safe'))
    .addOption(secretOption('--token <t>', 'API token'))
    .exitOverride()
    .action((inputs: unknown[], o: Record<string, unknown>) => {
      seen.args = inputs;
      seen.opts = o;
    });
  return program;
}

async function run(argv: string[], env: Record<string, string> = {}, dir = tmp): Promise<{ opts?: Record<string, unknown>; args?: unknown[]; printed: string }> {
  const seen: { opts?: Record<string, unknown>; args?: unknown[] } = {};
  let printed = '';
  await parseWithConfig(newCommand(seen), ['node', 'x', 'store', ...argv], { env, dir, write: (s) => (printed += s) });
  return { ...seen, printed };
}

test('a new command reads <dir>/<name>.yaml with no code of its own; flag > env > file > default', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'etc-'));
  fs.writeFileSync(path.join(dir, 'store.yaml'), 'db: /srv/file.db\nbatch: 500\ntag: [a, "b,c"]\nverbose: true\ncompact: false\nmode: fast\ninputs: [one.json, two.json]\n');
  const fromFile = await run([], {}, dir);
  assert.deepEqual(fromFile.opts, { db: '/srv/file.db', batch: '500', tag: ['a', 'b', 'c'], verbose: true, compact: false, mode: 'fast' });
  assert.deepEqual(fromFile.args, ['one.json', 'two.json']);

  const envOverFile = await run([], { EBPF_AUDIT_BATCH: '7', EBPF_AUDIT_VERBOSE: 'false', EBPF_AUDIT_TAG: 'x,y' }, dir);
  assert.equal(envOverFile.opts?.batch, '7');
  assert.equal(envOverFile.opts?.verbose, false);
  assert.deepEqual(envOverFile.opts?.tag, ['x', 'y']);
  assert.equal(envOverFile.opts?.db, '/srv/file.db');

  const flagOverEnv = await run(['--batch', '9', '--tag', 'z', 'cli.json'], { EBPF_AUDIT_BATCH: '7' }, dir);
  assert.equal(flagOverEnv.opts?.batch, '9');
  assert.deepEqual(flagOverEnv.opts?.tag, ['z']);
  assert.deepEqual(flagOverEnv.args, ['cli.json']);

  const defaults = await run([], {}, fs.mkdtempSync(path.join(tmp, 'empty-'))); // no file there: defaults
  assert.deepEqual(defaults.opts, { db: '/var/lib/x.db', batch: '100', tag: [], verbose: false, compact: true, mode: 'safe' });
  assert.deepEqual(defaults.args, []);
});

test('--config and EBPF_AUDIT_CONFIG choose the file; an explicit file must exist', async () => {
  const f = write('explicit.yaml', 'batch: 42\n');
  assert.equal((await run(['--config', f])).opts?.batch, '42');
  assert.equal((await run([], { EBPF_AUDIT_CONFIG: f })).opts?.batch, '42');
  await assert.rejects(run(['--config', path.join(tmp, 'missing.yaml')]), (e: Error) => e instanceof ConfigError && /missing\.yaml: not found/.test(e.message));
});

test('a file of comments only (as the packages install) gives the defaults; a key after comments is read', async () => {
  const defaults = { db: '/var/lib/x.db', batch: '100', tag: [], verbose: false, compact: true, mode: 'safe' };
  for (const text of ['', '\n', '# db: /srv/x.db\n\n  # batch: 5\r\n\t\n#', '   \n# only\n']) {
    const dir = fs.mkdtempSync(path.join(tmp, 'comments-'));
    fs.writeFileSync(path.join(dir, 'store.yaml'), text);
    assert.deepEqual((await run([], {}, dir)).opts, defaults, JSON.stringify(text));
  }
  assert.equal((await run(['--config', write('late.yaml', '# defaults below\n\n  # batch: 5\nbatch: 8\n')])).opts?.batch, '8');
  assert.equal((await run(['--config', write('crlf.yaml', '# x\r\nbatch: 9\r\n')])).opts?.batch, '9');
  // A line that is not a comment still goes to the parser and its errors.
  await assert.rejects(run(['--config', write('bad.yaml', '# x\n  batch: 1\n bad\n')]), ConfigError);
});

test('bad files, keys and values name file:line:col; bad variables name the variable', async () => {
  const cases: [string, RegExp][] = [
    ['batch: 1\nbtach: 2\n', /bad\.yaml:2:1: unknown key "btach"; did you mean "batch"\?/],
    ['batch: 1\nfrobnicate: 2\n', /bad\.yaml:2:1: unknown key "frobnicate"; the keys are the long options of "ebpf-audit-thing store --help"/],
    ['mode: turbo\n', /bad\.yaml:1:7: mode: invalid value "turbo": Allowed choices are fast, safe\./],
    ['verbose: sometimes\n', /bad\.yaml:1:10: verbose must be true or false/],
    ['db: [a, b]\n', /bad\.yaml:1:5: db takes one value, not a list/],
    ['db:\n', /bad\.yaml:1:1: db has no value/],
    ['batch: 1\nbatch: 2\n', /bad\.yaml:2:1: Map keys must be unique/],
    ['- just\n- a list\n', /bad\.yaml:1:1: expected a mapping/],
    ['db: "unterminated\n', /bad\.yaml:\d+:\d+: Missing closing "quote/],
  ];
  for (const [text, re] of cases) {
    const f = write('bad.yaml', text);
    await assert.rejects(run(['--config', f]), (e: Error) => e instanceof ConfigError && re.test(e.message), `${JSON.stringify(text)} should match ${re}`);
  }
  await assert.rejects(run([], { EBPF_AUDIT_VERBOSE: 'perhaps' }), /EBPF_AUDIT_VERBOSE must be true or false/);
  await assert.rejects(run([], { EBPF_AUDIT_MODE: 'turbo' }), /EBPF_AUDIT_MODE: invalid value "turbo": Allowed choices are fast, safe\./);
  // A value overridden by a flag is still checked: a broken file is never half-used.
  await assert.rejects(run(['--config', write('bad.yaml', 'mode: turbo\n'), '--mode', 'fast']), /bad\.yaml:1:7/);
});

test('a secret comes from the file or the environment, never argv, and --print-config masks it', async () => {
  const f = write('secret.yaml', 'token: s3cr3t-from-file\nbatch: 3\n');
  assert.equal((await run(['--config', f])).opts?.token, 's3cr3t-from-file');
  assert.equal((await run(['--config', f], { EBPF_AUDIT_TOKEN: 'from-env' })).opts?.token, 'from-env');
  await assert.rejects(run(['--token', 'x']), /--token is never read from the command line/);
  const printing = run(['--config', f, '--print-config']);
  await assert.rejects(printing, (e: Error) => e instanceof CommanderError && e.exitCode === 0);
  let printed = '';
  await parseWithConfig(newCommand({}), ['node', 'x', 'store', '--config', f, '--print-config'], { env: {}, dir: tmp, write: (s) => (printed = s) }).catch(() => undefined);
  assert.doesNotMatch(printed, /s3cr3t/);
  assert.match(printed, /^# token: \*{8} +# secret, file .*secret\.yaml:1:8$/m);
  assert.match(printed, /^batch: 3 +# file .*secret\.yaml:2:8$/m);
  assert.match(printed, /^mode: safe +# default$/m);
});

test('--print-config output is itself a config file that gives the same configuration', async () => {
  const f = write('full.yaml', 'db: "/srv/a b\\u001b[31m.db"\nbatch: "0755"\ntag: [p, q]\nverbose: true\ncompact: false\ninputs: [i.json]\n');
  let printed = '';
  await parseWithConfig(newCommand({}), ['node', 'x', 'store', '--config', f, '--print-config', '--mode', 'fast'], {
    env: { EBPF_AUDIT_BATCH: '12' },
    dir: tmp,
    write: (s) => (printed = s),
  }).catch(() => undefined);
  assert.doesNotMatch(printed, /\x1b/, 'control characters print escaped');
  const again = write('again.yaml', printed);
  const a = await run(['--config', again]);
  assert.deepEqual(a.opts, { db: '/srv/a b\x1b[31m.db', batch: '12', tag: ['p', 'q'], verbose: true, compact: false, mode: 'fast', config: again });
  assert.deepEqual(a.args, ['i.json']);
});

test("a command's own error about a flag is located in the file or variable that set it", async () => {
  const f = write('loc.yaml', 'batch: 1\n\ndb: /x\n');
  await run(['--config', f]);
  const fromFile = locateConfigError(new ConfigError('--db must be absolute, and --batch at least 2')) as Error;
  assert.equal(fromFile.message, `${f}:3:5: db must be absolute, and batch at least 2`);
  await run([], { EBPF_AUDIT_DB: 'rel' });
  assert.equal((locateConfigError(new ConfigError('--db must be absolute')) as Error).message, 'EBPF_AUDIT_DB must be absolute');
  await run(['--db', 'rel']);
  assert.equal((locateConfigError(new ConfigError('--db must be absolute')) as Error).message, '--db must be absolute');
});

// The real CLIs, through their entry files.
function cli(file: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 20000, env: { PATH: process.env.PATH, ...env } });
}

test('every CLI takes --config, EBPF_AUDIT_* and --print-config; bad values exit 2 with file:line:col', () => {
  const f = write('cli.yaml', 'topic-prefix: from-file\nbrokers: "10.0.0.1:9092"\n');
  for (const [file, args] of [
    [PRODUCER_CLI, []],
    [TOPICS_CLI, ['check']],
    [CONSUMER_CLI, ['tail']],
    [CONSUMER_CLI, ['detect']],
  ] as const) {
    const r = cli(file, [...args, '--config', f, '--print-config'], { EBPF_AUDIT_BROKERS: '10.0.0.2:9092', EBPF_AUDIT_SASL_PASSWORD: 'pw-secret' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^topic-prefix: from-file +# file .*cli\.yaml:1:15$/m);
    assert.match(r.stdout, /^brokers: 10\.0\.0\.2:9092 +# env EBPF_AUDIT_BROKERS$/m);
    assert.match(r.stdout, /^# sasl-password: \*{8} +# secret, env EBPF_AUDIT_SASL_PASSWORD$/m);
    assert.doesNotMatch(r.stdout + r.stderr, /pw-secret/);
  }
  const producerBad = cli(PRODUCER_CLI, ['--config', write('p.yaml', 'spool-max-mb: 10\nring-buffer-mb: 3\n')]);
  assert.equal(producerBad.status, 2);
  assert.match(producerBad.stderr, /p\.yaml:2:17: ring-buffer-mb must be a power of two, got 3/);
  const tailBad = cli(CONSUMER_CLI, ['tail', '--config', write('t.yaml', 'output: xml\n')]);
  assert.equal(tailBad.status, 2);
  assert.match(tailBad.stderr, /t\.yaml:1:9: output must be text, json or ecs, got "xml"/);
  const unknown = cli(CONSUMER_CLI, ['detect', '--config', write('d.yaml', 'min-severty: high\n')]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /d\.yaml:1:1: unknown key "min-severty"; did you mean "min-severity"\?/);
  const envBad = cli(PRODUCER_CLI, [], { EBPF_AUDIT_ACKS: '5' });
  assert.equal(envBad.status, 2);
  assert.match(envBad.stderr, /EBPF_AUDIT_ACKS must be an integer from -1 to 1, got "5"/);
  // detect's rule files come from the file too: --check reads them.
  const rules = write('rules.yaml', '- rule: from-config\n  description: d\n  severity: low\n  condition: evt.kind = file\n  output: x\n');
  const check = cli(CONSUMER_CLI, ['detect', '--check', '--config', write('d2.yaml', `rule-files: [${rules}]\nno-such: 1\n`)]);
  assert.equal(check.status, 2);
  assert.match(check.stderr, /d2\.yaml:2:1: unknown key "no-such"/);
  const checkOk = cli(CONSUMER_CLI, ['detect', '--check', '--config', write('d3.yaml', `rule-files: [${rules}]\ndefault-rules: false\n`)]);
  assert.equal(checkOk.status, 0, checkOk.stderr);
  assert.match(checkOk.stdout, /^ok: 1 rules \(1 enabled\)/);
});
