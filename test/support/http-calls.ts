import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function collect(res: http.IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
    });
    res.on('error', reject);
  });
}

/** One plain HTTP call, on its own connection. */
export function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      {
        method,
        agent: false,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        collect(res).then(resolve, reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * A POST whose headers and first half of the body are sent now and the rest only when
 * `finish()` is called: while it waits the request is in flight on the server, for sure.
 */
export function halfSentPost(base: string, path: string, token: string, body: unknown, agent: http.Agent) {
  const payload = Buffer.from(JSON.stringify(body));
  const half = Math.floor(payload.length / 2);
  let req!: http.ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = http.request(new URL(path, base), {
      method: 'POST',
      agent,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': payload.length,
      },
    });
    req.on('response', (res) => {
      collect(res).then(resolve, reject);
    });
    req.on('error', reject);
  });
  req.write(payload.subarray(0, half));
  return {
    answer,
    finish: () => {
      req.end(payload.subarray(half));
    },
  };
}
