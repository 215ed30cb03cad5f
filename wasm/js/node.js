// unifetch in Node: the client over node:http (see node-core.js).
import { api } from './node-core.js';

/** The ky-like default instance: `uf(url)`, `uf.get(url).json()`, `uf.create({...})`. */
export default api.uf;
export const { Session, Response } = api;
export { stop } from './api.js';
export { UnifetchError, TimeoutError, NetworkError, HTTPError } from './errors.js';
