'use strict';
// One registry of error codes: every error Switchboard throws to callers has a stable `code`.

const codes = {
  SB_CONFIG_INVALID: 'the configuration is invalid',
  SB_NATIVE_LOAD_FAILED: 'the native addon could not be loaded',
  SB_NOT_STARTED: 'the server is not running',
  SB_ALREADY_STARTED: 'the server was already started',
  SB_STORE_UNAVAILABLE: 'the store cannot be read or written',
  SB_LISTEN_FAILED: 'the server cannot listen on its port',
  SB_INVALID_ARGUMENT: 'an argument is invalid',
  SB_CONFLICT: 'the resource exists already',
};

class SwitchboardError extends Error {
  /**
   * @param {keyof typeof codes} code
   * @param {string} message what went wrong and what to do
   */
  constructor(code, message) {
    super(`${code}: ${message || codes[code] || 'error'}`);
    this.name = 'SwitchboardError';
    this.code = code;
  }
}

/** Re-throws errors from the addon (they carry `code`) as SwitchboardError. */
function fromNative(err) {
  if (err instanceof SwitchboardError) return err;
  const code = err && typeof err.code === 'string' && err.code.startsWith('SB_') ? err.code : 'SB_STORE_UNAVAILABLE';
  const message = String((err && err.message) || err).replace(/^SB_[A-Z_]+: /, '');
  return new SwitchboardError(code, message);
}

module.exports = { SwitchboardError, codes, fromNative };
