import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DestinationRefusedError, type DestinationPolicy } from './destination-policy.js';

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
}

/**
 * One POST to a user-given URL through the destination policy: a literal address is judged
 * before connecting, a name by the policy's `lookup` (the address the socket connects to).
 * Redirects are never followed (node:http does not): the 3xx status is the answer.
 * Resolves to the HTTP status; rejects when the request cannot be made or is refused.
 */
export function postOnce(
  policy: DestinationPolicy,
  url: URL,
  body: string,
  options: PostOptions,
): Promise<number> {
  const refusal = policy.urlRefusal(url);
  if (refusal !== undefined) return Promise.reject(new DestinationRefusedError(refusal));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: policy.lookup,
        // A fresh connection per delivery: a pooled socket would skip the lookup's check.
        agent: false,
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (res: IncomingMessage) => {
        // The answer's body is not read: only its status matters, and a huge body costs nothing.
        res.destroy();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
