// The venue's refusal: HTTP status plus Binance's {"code":…,"msg":…} body.
export class BinanceRejection extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly msg: string,
    /** Extra `data` some errors carry (cancelReplace). */
    readonly data?: unknown,
  ) {
    super(msg);
    this.name = 'BinanceRejection';
  }
}

export const ORDER_DOES_NOT_EXIST = (): BinanceRejection => new BinanceRejection(400, -2013, 'Order does not exist.');
export const UNKNOWN_ORDER_SENT = (): BinanceRejection => new BinanceRejection(400, -2011, 'Unknown order sent.');
export const INSUFFICIENT_BALANCE = (): BinanceRejection => new BinanceRejection(400, -2010, 'Account has insufficient balance for requested action.');
export const DUPLICATE_ORDER = (): BinanceRejection => new BinanceRejection(400, -2010, 'Duplicate order sent.');
export const INVALID_SYMBOL = (): BinanceRejection => new BinanceRejection(400, -1121, 'Invalid symbol.');
export const mandatory = (name: string): BinanceRejection =>
  new BinanceRejection(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
export const filterFailure = (filter: string): BinanceRejection => new BinanceRejection(400, -1013, `Filter failure: ${filter}`);
