'use strict';
// Reading the four CORS request headers out of every shape a Node or Web
// host hands over, for both engines (the native addon, lib/engine.js, and
// the WebAssembly module, edge.js). No CORS rule here: values go to core as
// they came.

/** How a bad value is named in a TypeError. */
function typeName(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * A reader for the request headers `names` (core's four, lowercase, in the
 * order the engine takes them): `collect(headers)` fills `found` with each
 * one's value: undefined, a string, or an array of strings when the header
 * came on several lines. `found` is reused by every call.
 */
function headerReader(names) {
  const [ORIGIN, REQUEST_METHOD, REQUEST_HEADERS, PRIVATE_NETWORK] = names;
  const REQUEST_HEADER_NAMES = names;

  // The four CORS request values found by `collect`: undefined, a string, or
  // an array of strings when the header came on several lines.
  const found = [undefined, undefined, undefined, undefined];

  function fieldIndex(name) {
    // Dispatch on length first, as core does: most names are skipped at once.
    switch (name.length) {
      case 6:
        return name === ORIGIN || name.toLowerCase() === ORIGIN ? 0 : -1;
      case 29:
        return name === REQUEST_METHOD || name.toLowerCase() === REQUEST_METHOD ? 1 : -1;
      case 30:
        return name === REQUEST_HEADERS || name.toLowerCase() === REQUEST_HEADERS ? 2 : -1;
      case 38:
        return name === PRIVATE_NETWORK || name.toLowerCase() === PRIVATE_NETWORK ? 3 : -1;
      default:
        return -1;
    }
  }

  function addLine(i, value) {
    if (typeof value !== 'string') {
      throw new TypeError(`header ${REQUEST_HEADER_NAMES[i]}: values must be strings, got ${typeName(value)}`);
    }
    const prev = found[i];
    if (prev === undefined) found[i] = value;
    else if (typeof prev === 'string') found[i] = [prev, value];
    else prev.push(value);
  }

  function addValue(i, value) {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const line of value) addLine(i, line);
    } else {
      addLine(i, value);
    }
  }


  /**
   * Reads the CORS request values from `headers`: Node's `req.headers` (or any
   * plain object of name -> string | string[]), `req.rawHeaders`
   * ([name, value, ...]), `[name, value]` pairs, or a Map/Headers.
   */
  function collect(headers) {
    found[0] = found[1] = found[2] = found[3] = undefined;
    if (headers === undefined || headers === null) return;
    if (typeof headers !== 'object') {
      throw new TypeError(`request.headers must be an object or an array, got ${typeName(headers)}`);
    }
    if (Array.isArray(headers)) {
      if (headers.length === 0) return;
      if (typeof headers[0] === 'string') {
        if (headers.length % 2 !== 0) {
          throw new TypeError('raw headers must alternate names and values');
        }
        for (let j = 0; j < headers.length; j += 2) {
          const name = headers[j];
          if (typeof name !== 'string') throw new TypeError(`header names must be strings, got ${typeName(name)}`);
          const i = fieldIndex(name);
          if (i >= 0) addLine(i, headers[j + 1]);
        }
        return;
      }
      for (const pair of headers) {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
          throw new TypeError('header pairs must be [name: string, value: string] arrays');
        }
        const i = fieldIndex(pair[0]);
        if (i >= 0) addLine(i, pair[1]);
      }
      return;
    }
    if (typeof headers[Symbol.iterator] === 'function') {
      for (const pair of headers) {
        if (!Array.isArray(pair) || typeof pair[0] !== 'string') {
          throw new TypeError('iterable headers must yield [name, value] pairs');
        }
        const i = fieldIndex(pair[0]);
        if (i >= 0) addValue(i, pair[1]);
      }
      return;
    }
    for (const name in headers) {
      const i = fieldIndex(name);
      if (i >= 0) addValue(i, headers[name]);
    }
  }

  return { collect, found };
}

module.exports = { headerReader, typeName };
