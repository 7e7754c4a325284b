'use strict';
// Headless Chromium for the UI tests: Debian's /usr/bin/chromium (CHROMIUM_PATH overrides)
// through playwright-core, never a downloaded browser.

const fs = require('fs');
const { chromium } = require('playwright-core');

const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Launches Chromium; throws a clear error when it is not installed. */
async function launchBrowser() {
  if (!fs.existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: run deploy/install-deps.sh`);
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

module.exports = { launchBrowser };
