import { AppError } from '../errors.js';

const MAX_URL_LENGTH = 2048;
const HIDDEN = '***';

/** An absolute http(s) URL, or a 400 naming the request's field. */
export function parseWebhookUrl(value: string, field: string): URL {
  if (value.length > MAX_URL_LENGTH)
    throw new AppError('bad_request', `${field} must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('bad_request', `${field} must be an absolute http:// or https:// URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AppError('bad_request', `${field} must be an absolute http:// or https:// URL`);
  return url;
}

/** A user name, password or query string: what a receiver may use to authenticate us. */
export function hasCredentials(url: URL): boolean {
  return url.username !== '' || url.password !== '' || url.search !== '';
}

/** The URL as the API shows it: user name, password and every query value replaced by `***`. */
export function redactUrl(url: URL): string {
  if (!hasCredentials(url)) return url.toString();
  const shown = new URL(url);
  if (shown.username) shown.username = HIDDEN;
  if (shown.password) shown.password = HIDDEN;
  if (shown.search) {
    const names = [...shown.searchParams.keys()];
    shown.search = names.map((name) => `${encodeURIComponent(name)}=${HIDDEN}`).join('&');
  }
  return shown.toString();
}
