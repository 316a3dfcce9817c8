export { PaperBroker, type GuardVerdict, type PaperBrokerFaults, type PaperBrokerOptions, type PaperPriceGuard, type RestingOrderSource } from './paper-broker.js';
