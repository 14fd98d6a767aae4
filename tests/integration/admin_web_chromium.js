// The admin page in Debian's Chromium through playwright-core (test_admin_web.py):
// node admin_web_chromium.js URL ADDRESS PASSWORD QID SCREENSHOT CHROMIUM
// Logs in, reads the queue row of QID, presses "Flush queue", reloads until the row shows
// the new attempt, takes a screenshot, logs out; prints one JSON line of what it saw.
const { chromium } = require('playwright-core');

async function main() {
  const [url, address, password, qid, shot, exe] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: exe,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const result = {};
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(30000);
    await page.goto(url);
    await page.fill('input[name="address"]', address);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForURL(url), page.click('#login button[type="submit"]')]);
    result.who = (await page.textContent('#who')).trim();
    const row = '#q-' + qid;
    result.before = (await page.textContent(row + ' .attempts')).trim();
    await page.click('button:has-text("Flush queue")');
    const deadline = Date.now() + 60000;
    for (;;) {
      result.after = (await page.textContent(row + ' .attempts')).trim();
      if (result.after !== result.before || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
      await page.goto(url);
    }
    await page.screenshot({ path: shot, fullPage: true });
    await page.click('button:has-text("Log out")');
    await page.waitForSelector('#login');
    result.logged_out = true;
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
