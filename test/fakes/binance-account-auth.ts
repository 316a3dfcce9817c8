// Binance's request signing, checked the way the venue checks it: the API key in X-MBX-APIKEY, a
// `timestamp` (ms) within `recvWindow` (default 5 000, at most 60 000) of the server's clock, and
// `signature` = hex HMAC-SHA256 over the query string followed directly by the form body (Binance's
// "totalParams"), with the signature parameter itself left out.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BinanceRejection } from './binance-account-errors.js';

export interface SignedRequestParts {
  apiKeyHeader: string | undefined;
  /** Raw query string after `?`, exactly as sent (still percent-encoded). */
  rawQuery: string;
  /** Raw request body (form-encoded for POST/PUT, usually empty for GET/DELETE). */
  rawBody: string;
  /** Parameters from both, decoded. */
  params: Record<string, string>;
}

const SIGNATURE_PARAM = /(^|&)signature=[^&]*/;

function withoutSignature(raw: string): string {
  return raw.replace(SIGNATURE_PARAM, '').replace(/^&/, '');
}

/** Throws the venue's error, or returns the key that signed the request. */
export function verifySignedRequest(parts: SignedRequestParts, secretOf: (apiKey: string) => string | undefined, serverTime: number): string {
  const apiKey = parts.apiKeyHeader;
  if (apiKey === undefined || apiKey === '') throw new BinanceRejection(401, -2014, 'API-key format invalid.');
  const secret = secretOf(apiKey);
  if (secret === undefined) throw new BinanceRejection(401, -2015, 'Invalid API-key, IP, or permissions for action.');

  const timestampText = parts.params['timestamp'];
  if (timestampText === undefined || !/^\d+$/.test(timestampText)) {
    throw new BinanceRejection(400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
  }
  const recvWindowText = parts.params['recvWindow'] ?? '5000';
  if (!/^\d+$/.test(recvWindowText)) throw new BinanceRejection(400, -1100, "Illegal characters found in parameter 'recvWindow'; legal range is '0-60000'.");
  const recvWindow = Number(recvWindowText);
  if (recvWindow > 60_000) throw new BinanceRejection(400, -1131, 'recvWindow must be less than 60000');
  const timestamp = Number(timestampText);
  // Binance: accepted when timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow.
  if (!(timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow)) {
    throw new BinanceRejection(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
  }

  const signature = parts.params['signature'];
  if (signature === undefined || signature === '') {
    throw new BinanceRejection(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
  }
  const payload = withoutSignature(parts.rawQuery) + withoutSignature(parts.rawBody);
  const expected = createHmac('sha256', secret).update(payload).digest('hex');
  const given = Buffer.from(signature.toLowerCase());
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw new BinanceRejection(400, -1022, 'Signature for this request is not valid.');
  }
  return apiKey;
}

/** Signs a parameter string like a Binance client does (for tests that build requests by hand). */
export function signBinanceQuery(query: string, secret: string): string {
  return createHmac('sha256', secret).update(query).digest('hex');
}
