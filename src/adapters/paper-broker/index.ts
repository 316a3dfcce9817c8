export { PaperBroker, type GuardVerdict, type PaperBrokerFaults, type PaperBrokerOptions, type PaperPriceGuard } from './paper-broker.js';
