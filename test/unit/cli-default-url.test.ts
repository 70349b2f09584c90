/** The lease and ctl CLIs find the local stack on the port `npm start` serves it on. */
import assert from 'node:assert/strict';
import { defaultUrl } from '../../scripts/lease/main.js';

describe('the CLIs default URL', () => {
  it('is the local stack on 8080 when PORT is unset or blank', () => {
    assert.equal(defaultUrl({}), 'http://127.0.0.1:8080/deploymentStatus');
    assert.equal(defaultUrl({ PORT: ' ' }), 'http://127.0.0.1:8080/deploymentStatus');
  });

  it('follows PORT, as npm start, push:simulate and tick do', () => {
    assert.equal(defaultUrl({ PORT: '8093' }), 'http://127.0.0.1:8093/deploymentStatus');
  });
});
