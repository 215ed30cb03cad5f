// The JavaScript side of the transports of wasm32-unknown-unknown
// (transport/js.rs binds it): fetch (fetch.rs), and what node:http
// (node/exchange.js) shares with it.
// One call here does what would take Rust one call per field or header,
// so a request crosses the boundary a few times, not dozens. Headers cross
// as one string of `name:value` lines (values cannot hold a newline).

/** `[name, value]` pairs from `name:value` lines. */
export function headerPairs(block) {
  const pairs = [];
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) pairs.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  return pairs;
}

// fetch

export function fetchWith(url, method, headerBlock, body, redirect, credentials, signal) {
  const init = { method, headers: headerPairs(headerBlock), redirect, credentials, cache: 'no-store', signal };
  if (body !== undefined) init.body = body;
  return fetch(url, init);
}
export function headerBlock(headers) {
  let block = '';
  for (const [name, value] of headers) block += name + ':' + value + '\n';
  return block;
}
export function startTimer(wake, id, milliseconds) {
  return setTimeout(wake, milliseconds, id);
}
export function stopTimer(handle) {
  clearTimeout(handle);
}
