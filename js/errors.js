'use strict';
// One registry of error codes: every error Switchboard throws to callers is a SwitchboardError
// with a stable `code` from this table (the native addon uses the same codes).

/** Code -> what it means (the default message when none is given). */
const codes = Object.freeze({
  SB_CONFIG_INVALID: 'the configuration is invalid',
  SB_NATIVE_LOAD_FAILED: 'the native addon could not be loaded',
  SB_NOT_STARTED: 'the server is not running; call and await start() first',
  SB_ALREADY_STARTED: 'the server was already started; start() can be called once per Server',
  SB_STORE_UNAVAILABLE: 'the store cannot be read or written',
  SB_LISTEN_FAILED: 'the server cannot listen on its port',
  SB_INVALID_ARGUMENT: 'an argument is invalid',
  SB_CONFLICT: 'the resource exists already',
  SB_INTERNAL: 'an internal error occurred',
});

class SwitchboardError extends Error {
  /**
   * @param {keyof typeof codes} code one of `codes`
   * @param {string} [message] what went wrong and what to do; the code is prefixed
   * @param {{cause?: unknown}} [options]
   */
  constructor(code, message, options) {
    if (!Object.prototype.hasOwnProperty.call(codes, code)) throw new TypeError(`unknown error code ${code}`);
    super(`${code}: ${message || codes[code]}`, options);
    this.name = 'SwitchboardError';
    this.code = code;
  }
}

/**
 * Wraps an error from the addon (it carries an `SB_*` code and a message prefixed with it) as
 * a SwitchboardError; errors without a known code become SB_INTERNAL.
 * @param {unknown} err
 * @returns {SwitchboardError}
 */
function fromNative(err) {
  if (err instanceof SwitchboardError) return err;
  const known = err && typeof err.code === 'string' && Object.prototype.hasOwnProperty.call(codes, err.code);
  const code = known ? err.code : 'SB_INTERNAL';
  const message = String((err && err.message) || err).replace(/^SB_[A-Z_]+: /, '');
  return new SwitchboardError(code, message, { cause: err });
}

module.exports = { SwitchboardError, codes, fromNative };
