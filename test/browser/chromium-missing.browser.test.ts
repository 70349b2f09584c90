/** Without Chromium the browser tests fail and say how to install it; they never skip. */
import assert from 'node:assert/strict';
import { launchChromium } from '../support/browser.js';

describe('browser tests without Chromium', () => {
  it('fail with a message that says: apt-get install -y chromium', async () => {
    await assert.rejects(launchChromium('/nonexistent/chromium'), (error: Error) => {
      assert.match(error.message, /Chromium at \/nonexistent\/chromium/);
      assert.match(error.message, /apt-get install -y chromium/);
      return true;
    });
  });
});
