// Arguments shared by the market and analysis tools.
import { z } from 'zod';
import { symbolField } from '../../services/trading/input.js';

export const symbolArg = symbolField('Symbol such as "BTC/USDT", "sol", "ETH-PERP"');

export const TIMEFRAMES = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'] as const;
export const timeframeArg = z.enum(TIMEFRAMES, { errorMap: () => ({ message: `timeframe must be one of ${TIMEFRAMES.join(', ')}` }) }).describe('Candle timeframe: 1m 5m 15m 30m 1h 4h 1d 1w');
