const BOUNDARY = '----traitforge-privacy-boundary';

/** A CSV file as the multipart body of an upload (`file` field), with the request's headers. */
export function multipartCsv(
  csv: string,
  headers: Record<string, string> = {},
): { payload: Buffer; headers: Record<string, string> } {
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="data.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  return {
    payload: Buffer.concat([Buffer.from(head), Buffer.from(csv), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]),
    headers: { ...headers, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  };
}
