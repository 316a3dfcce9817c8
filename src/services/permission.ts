// What an API key may do. Its own module so that `mikey help` can name the permissions without
// loading the key service and the database schema.
export const Permission = {
  readMarket: 'read:market',
  readPortfolio: 'read:portfolio',
  writeOrders: 'write:orders',
  writeAlerts: 'write:alerts',
  admin: 'admin',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];
export const ALL_PERMISSIONS = Object.values(Permission);
