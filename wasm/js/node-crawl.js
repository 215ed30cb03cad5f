// unifetch/crawl in Node: the same instance as `unifetch` there (see node-core.js).
import { api } from './node-core.js';

export default api.uf;
export const { crawl, Session, Response } = api;
export { stop } from './api.js';
export { UnifetchError, TimeoutError, NetworkError, HTTPError } from './errors.js';
