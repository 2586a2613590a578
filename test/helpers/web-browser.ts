/**
 * A real browser for the web console's tests: Debian's Chromium (deploy/install.sh installs it)
 * driven by playwright-core, headless, kept off the network: no sync, no component updates, no
 * background requests (this machine's closed network refuses them), a fresh profile each time.
 * Missing Chromium skips on a developer's machine and fails under CI=true, like every test need.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.EBPF_AUDIT_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox', // as root; the page is our own, served on loopback
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--metrics-recording-only',
];

/** True when the test must stop (skipped); throws under CI. */
export function needsChromium(t: TestContext): boolean {
  if (fs.existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and no Chromium at ${CHROMIUM} (deploy/install.sh installs Debian's chromium)`);
  t.skip(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return true;
}

/** Chromium with a fresh profile (playwright makes a temporary one per launch and removes it). */
export async function launchBrowser(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  t.after(() => browser.close().catch(() => undefined));
  return browser;
}

/** Where screenshots go: $EBPF_AUDIT_SCREENSHOTS (docs/ to refresh the README's), else a temporary directory. */
export function screenshotDir(t: TestContext): string {
  const dir = process.env.EBPF_AUDIT_SCREENSHOTS;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-web-shots-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  return tmp;
}
