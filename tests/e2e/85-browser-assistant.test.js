'use strict';
// The assistant in real headless Chromium: the demo page shows a reply as it streams (markup in
// the streamed text stays text), the visitor asks for a person with the button, and the agent
// gets a suggested reply and a summary from AI assist in the console.

const { startServer } = require('../helpers/server');
const { launchBrowser } = require('../helpers/browser');
const { startMockAi } = require('../../js/mock-ai');

let t;
let ai;
let browser;
beforeAll(async () => {
  ai = await startMockAi({ apiKey: 'sk-browser', defaults: { delayMs: 60 } });
  t = await startServer({ ai: { baseUrl: ai.url, apiKey: 'sk-browser', model: 'demo-model', greeting: 'Hi! I am the assistant.' } });
  browser = await launchBrowser();
}, 60000);
afterAll(async () => {
  if (browser) await browser.close();
  if (t) await t.stop();
  if (ai) await ai.close();
});

it('the demo page streams the answer, hands over on request, and the console offers assist', async () => {
  const agentPage = await browser.newPage();
  await agentPage.goto(`${t.http}/console`);
  await agentPage.fill('#email', 'admin@example.com');
  await agentPage.fill('#password', 'admin-password');
  await agentPage.click('#login button');
  await agentPage.waitForFunction(() => document.getElementById('conn').textContent === 'online');

  const page = await browser.newPage();
  await page.goto(`${t.http}/`);
  await page.waitForFunction(() => document.getElementById('status').textContent !== 'connecting…');
  const evil = 'Is <img src=x onerror="window.__pwned=1"> <b>safe</b> here?';
  await page.fill('#text', evil);
  await page.press('#text', 'Enter');

  // The greeting, then the reply growing word by word, then the stored message in its place.
  await page.waitForFunction(() => [...document.querySelectorAll('#log .m.bot')].some((m) => m.textContent === 'Hi! I am the assistant.'));
  await page.waitForSelector('#log .m.bot.streaming');
  const partial = await page.evaluate(() => document.querySelector('#log .m.bot.streaming').textContent);
  expect(`Echo: ${evil}`.startsWith(partial)).toBe(true);
  expect(partial.length).toBeLessThan(`Echo: ${evil}`.length);
  await page.waitForFunction((text) => [...document.querySelectorAll('#log .m.bot')].some((m) => m.textContent === text && !m.classList.contains('streaming')), `Echo: ${evil}`);
  expect(await page.evaluate(() => document.querySelectorAll('#log img, #log b').length)).toBe(0);
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();

  // "Talk to a person": the conversation goes to the online admin, with a notice.
  await page.waitForSelector('#human', { state: 'visible' });
  await page.click('#human');
  await page.waitForFunction(() => [...document.querySelectorAll('#log .m.sys')].some((m) => m.textContent.includes('connecting you')));
  await page.waitForSelector('#human', { state: 'hidden' });

  // The console opens it; assist suggests a reply into the reply box, and summarizes.
  await agentPage.waitForFunction((text) => [...document.querySelectorAll('#msgs .m')].some((m) => m.textContent === text), evil);
  ai.setDefaults({ text: 'We can refund you today.', delayMs: 5 });
  await agentPage.click('#suggest');
  await agentPage.waitForFunction(() => document.getElementById('assist').textContent.startsWith('Suggestion ready'));
  expect(await agentPage.inputValue('#text')).toBe('We can refund you today.');
  ai.setDefaults({ text: 'The visitor asks whether markup is safe.', delayMs: 5 });
  await agentPage.click('#summary');
  await agentPage.waitForFunction(() => document.getElementById('assist').textContent === 'The visitor asks whether markup is safe.');

  // Nothing of the assist reached the visitor until the agent sends the suggestion.
  expect(await page.evaluate(() => [...document.querySelectorAll('#log .m')].some((m) => m.textContent.includes('refund')))).toBe(false);
  await agentPage.press('#text', 'Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('#log .m.them')].some((m) => m.textContent === 'We can refund you today.'));
}, 60000);
