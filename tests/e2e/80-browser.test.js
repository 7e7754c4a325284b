'use strict';
// The demo page and the agent console in real headless Chromium: two tabs chat both ways, and
// message text is rendered as text, never as markup.

const { startServer } = require('../helpers/server');
const { launchBrowser } = require('../helpers/browser');

let t;
let browser;
beforeAll(async () => {
  t = await startServer();
  browser = await launchBrowser();
}, 60000);
afterAll(async () => {
  if (browser) await browser.close();
  if (t) await t.stop();
});

it('a visitor tab and an agent tab chat both ways, and markup in messages stays text', async () => {
  const visitorPage = await browser.newPage();
  await visitorPage.goto(`${t.http}/`);
  await visitorPage.waitForFunction(() => document.getElementById('status').textContent !== 'connecting…');

  const agentPage = await browser.newPage();
  await agentPage.goto(`${t.http}/console`);
  await agentPage.fill('#email', 'admin@example.com');
  await agentPage.fill('#password', 'admin-password');
  await agentPage.click('#login button');
  await agentPage.waitForFunction(() => document.getElementById('conn').textContent === 'online');

  const evil = '<img src=x onerror="window.__pwned=1"><b>bold?</b>';
  await visitorPage.fill('#text', evil);
  await visitorPage.press('#text', 'Enter');
  await visitorPage.waitForSelector('#log .m.me.acked');

  // The conversation is assigned to the online admin and opens in the console.
  await agentPage.waitForFunction((text) => [...document.querySelectorAll('#msgs .m')].some((m) => m.textContent === text), evil);
  expect(await agentPage.evaluate(() => document.querySelectorAll('#msgs img, #msgs b').length)).toBe(0);
  expect(await agentPage.evaluate(() => window.__pwned)).toBeUndefined();

  await agentPage.fill('#text', 'Hello from the console');
  await agentPage.press('#text', 'Enter');
  await visitorPage.waitForFunction(() => [...document.querySelectorAll('#log .m.them')].some((m) => m.textContent === 'Hello from the console'));
  expect(await visitorPage.evaluate(() => document.querySelectorAll('#log img, #log b').length)).toBe(0);
  expect(await visitorPage.evaluate(() => window.__pwned)).toBeUndefined();

  // A reload resumes the same conversation with its history, once.
  await visitorPage.reload();
  await visitorPage.waitForFunction(() => document.getElementById('status').textContent !== 'connecting…');
  await agentPage.fill('#text', 'After your reload');
  await agentPage.press('#text', 'Enter');
  await visitorPage.waitForFunction(() => [...document.querySelectorAll('#log .m.them')].some((m) => m.textContent === 'After your reload'));
  const texts = await visitorPage.evaluate(() => [...document.querySelectorAll('#log .m.them')].map((m) => m.textContent));
  expect(texts.filter((x) => x === 'After your reload')).toHaveLength(1);
}, 60000);
