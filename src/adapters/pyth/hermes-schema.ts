// Hermes v2 wire format (https://hermes.pyth.network/docs), as loose zod schemas: the fields we use
// are checked, anything else passes through. Sources: Hermes' `PriceUpdate`, `ParsedPriceUpdate`,
// `RpcPrice` and `PriceFeedMetadata` types (pyth-crosschain apps/hermes/server, hermes-client 2.0.0).
//
//   GET /v2/updates/price/latest?ids[]=<hex>&parsed=true
//     → { "binary": { "encoding": "hex", "data": ["504e4155…"] },
//         "parsed": [ { "id": "e62d…5b43",
//                       "price":     { "price": "6512345678", "conf": "1234", "expo": -8, "publish_time": 1700000000 },
//                       "ema_price": { … same shape … },
//                       "metadata":  { "slot": 1, "proof_available_time": 1700000001, "prev_publish_time": 1699999999 } } ] }
//   GET /v2/updates/price/stream?ids[]=…  → text/event-stream, each `data:` line one PriceUpdate as above
//   GET /v2/price_feeds?query=btc&asset_type=crypto
//     → [ { "id": "e62d…", "attributes": { "asset_type": "Crypto", "base": "BTC", "quote_currency": "USD",
//                                          "symbol": "Crypto.BTC/USD", "display_symbol": "BTC/USD", … } } ]
import { z } from 'zod';

/** Signed 64-bit integer as a decimal string (price). */
const IntegerString = z.string().regex(/^-?\d{1,20}$/, 'expected an integer string');
/** Unsigned 64-bit integer as a decimal string (conf). */
const UnsignedIntegerString = z.string().regex(/^\d{1,20}$/, 'expected an unsigned integer string');

/** Hermes `RpcPrice`: value = price × 10^expo, confidence = conf × 10^expo, publish_time in unix seconds. */
export const HermesPriceSchema = z
  .object({
    price: IntegerString,
    conf: UnsignedIntegerString,
    expo: z.number().int().min(-40).max(40),
    publish_time: z.number().int(),
  })
  .passthrough();
export type HermesPrice = z.infer<typeof HermesPriceSchema>;

export const HermesPriceUpdateMetadataSchema = z
  .object({
    slot: z.number().int().nullable(),
    proof_available_time: z.number().int().nullable(),
    prev_publish_time: z.number().int().nullable(),
  })
  .partial()
  .passthrough();

/** One entry of `parsed`: a feed's latest price and EMA price. `id` is hex without 0x. */
export const HermesPriceUpdateSchema = z
  .object({
    id: z.string().min(1),
    price: HermesPriceSchema,
    ema_price: HermesPriceSchema,
    metadata: HermesPriceUpdateMetadataSchema.nullish(),
  })
  .passthrough();
export type HermesPriceUpdate = z.infer<typeof HermesPriceUpdateSchema>;

/**
 * The response envelope of `/v2/updates/price/latest` and of each stream event. `parsed` items are
 * validated one by one (a malformed item makes that feed missing, not the whole batch).
 */
export const HermesPriceUpdateEnvelopeSchema = z
  .object({
    binary: z.object({ encoding: z.string(), data: z.array(z.string()) }).passthrough(),
    parsed: z.array(z.unknown()).nullish(),
  })
  .passthrough();
export type HermesPriceUpdateEnvelope = z.infer<typeof HermesPriceUpdateEnvelopeSchema>;

/** One entry of `/v2/price_feeds`. */
export const HermesPriceFeedMetadataSchema = z
  .object({
    id: z.string().min(1),
    attributes: z.record(z.string(), z.unknown()),
  })
  .passthrough();
export type HermesPriceFeedMetadata = z.infer<typeof HermesPriceFeedMetadataSchema>;
